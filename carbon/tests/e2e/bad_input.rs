//! Issue 3 (carbon-cache), acceptance point 2: bad input is refused, the daemon keeps serving,
//! and valid points sent after it on the same connection are stored. Each test sends, on one
//! connection, every bad item followed by a valid point of its own metric (`after.*`), then
//! stops the daemon (which writes everything cached) and compares the whole set of files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::util::{
    now, points, python_client, send_tcp, send_udp, wait_for_points, wsp_files, Daemon, Setup,
};

/// The `.wsp` files anywhere under the daemon's temp dir, relative to its data dir.
fn all_files(d: &Daemon) -> BTreeSet<PathBuf> {
    wsp_files(d.root())
        .into_iter()
        .map(|p| {
            p.strip_prefix(d.data_dir())
                .unwrap_or_else(|_| panic!("{} is outside the data dir", p.display()))
                .to_path_buf()
        })
        .collect()
}

fn expected_files(names: &[String]) -> BTreeSet<PathBuf> {
    names
        .iter()
        .map(|n| PathBuf::from(graphite_tags::relative_path(n, true)))
        .collect()
}

#[test]
fn bad_lines_are_refused_and_the_connection_goes_on() {
    let mut d = Daemon::start(&Setup::default());
    let t = now() - 100;
    let bad: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\x7fELF\xff garbage \x80\n".to_vec(),
        b"garbage\n".to_vec(),
        format!("four fields here {t}\n").into_bytes(),
        b"\n".to_vec(),
        b"value.not.a.number abc 100\n".to_vec(),
        // Over 16384 bytes, though it would parse once stripped.
        format!("long.metric {} 1 {t}\n", " ".repeat(17_000)).into_bytes(),
        [vec![b'x'; 40_000], b"\n".to_vec()].concat(),
        [
            b"bad\xff\xfe.utf8".as_slice(),
            format!(" 1 {t}\n").as_bytes(),
        ]
        .concat(),
        format!("../x 1 {t}\n../../etc/passwd 1 {t}\n/etc/x 1 {t}\n").into_bytes(),
        format!("a/../../b 1 {t}\nnul\0name 1 {t}\n").into_bytes(),
        format!("nan.value nan {t}\nNaN.value2 NaN {t}\n").into_bytes(),
        b"ts.nan 1 nan\nts.inf 1 inf\nts.ninf 1 -inf\n".to_vec(),
        b"huge.ts 1 1e20\nhuge.ts 2 4294967296\nhuge.neg 3 -1e20\nhuge.neg2 4 -5\n".to_vec(),
    ];
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for (i, b) in bad.iter().enumerate() {
        input.extend_from_slice(b);
        input.extend_from_slice(format!("after.line.{i} {i} {t}\n").as_bytes());
        expected.push(format!("after.line.{i}"));
    }
    // A valid point of a metric that got huge timestamps just before is not lost with them.
    input.extend_from_slice(format!("huge.ts 5 {t}\n").as_bytes());
    expected.push("huge.ts".into());
    // An infinite value is stored, as the reference stores it.
    input.extend_from_slice(format!("inf.value inf {t}\n").as_bytes());
    expected.push("inf.value".into());
    send_tcp(d.addr("line"), &input);

    // Still serving, on a new connection.
    send_tcp(d.addr("line"), format!("after.new 1 {t}\n").as_bytes());
    expected.push("after.new".into());
    wait_for_points(&d, "after.new", t - 10, 1);

    assert!(d.terminate().success());
    for (i, _) in bad.iter().enumerate() {
        let m = format!("after.line.{i}");
        assert_eq!(points(&d.file(&m), t - 10), vec![(t, i as f64)], "{m}");
    }
    assert_eq!(points(&d.file("huge.ts"), t - 10), vec![(t, 5.0)]);
    assert_eq!(
        points(&d.file("inf.value"), t - 10),
        vec![(t, f64::INFINITY)]
    );
    assert_eq!(all_files(&d), expected_files(&expected));
}

#[test]
fn bad_datagrams_are_refused_and_the_rest_stored() {
    let mut d = Daemon::start(&Setup::default());
    let t = now() - 100;
    let udp = d.addr("udp");
    // Bad lines among good ones: only the bad lines are refused.
    send_udp(
        udp,
        format!(
            "garbage\nafter.udp.0 0 {t}\n../x 1 {t}\n/etc/x 1 {t}\nafter.udp.1 1 {t}\n\
             ts.inf 1 inf\nts.nan 1 nan\nhuge.ts 1 1e20\nafter.udp.2 2 {t}\nnan.value nan {t}\n\
             {}\nafter.udp.3 3 {t}",
            "y".repeat(20_000)
        )
        .as_bytes(),
    );
    // A datagram that is not UTF-8 is dropped whole, as the reference drops it.
    send_udp(
        udp,
        &[
            format!("udp.dropped 1 {t}\n").as_bytes(),
            b"bad\xff 1 1\n".as_slice(),
        ]
        .concat(),
    );
    send_udp(udp, b"\x00\x01\x02\xff\xfe");
    send_udp(udp, format!("after.udp.4 4 {t}\n").as_bytes());
    wait_for_points(&d, "after.udp.4", t - 10, 1);
    assert!(d.terminate().success());
    let expected: Vec<String> = (0..5).map(|i| format!("after.udp.{i}")).collect();
    for (i, m) in expected.iter().enumerate() {
        assert_eq!(points(&d.file(m), t - 10), vec![(t, i as f64)], "{m}");
    }
    assert_eq!(all_files(&d), expected_files(&expected));
}

#[test]
fn hostile_and_malformed_pickles_are_refused_and_the_connection_goes_on() {
    const MAX_FRAME: usize = 4096;
    let mut d =
        Daemon::start(&Setup::default().set("PICKLE_RECEIVER_MAX_LENGTH", &MAX_FRAME.to_string()));
    let t = now() - 100;
    let marker = d.root().join("unpickled-and-ran-a-command");
    let marker_s = marker.to_str().unwrap();
    let bad: Vec<String> = vec![
        format!("evil reduce {marker_s}"),
        format!("evil reduce0 {marker_s}"),
        format!("evil inst {marker_s}"),
        format!("evil global {marker_s}"),
        format!("evil class {marker_s}"),
        format!("evil garbage {marker_s}"),
        format!("evil truncated {marker_s}"),
        format!("evil dict {marker_s}"),
        format!("evil bytes-name {marker_s}"),
        format!("oversize {MAX_FRAME}"),
        format!("points ../x {t} 1 /etc/x {t} 1 a/../../b {t} 1"),
        format!("points ts.nan nan 1 ts.inf inf 1 ts.ninf -inf 1 nan.value {t} nan"),
        format!("points huge.ts 1e20 1 huge.ts 4294967296 2 huge.neg -1e20 3"),
    ];
    let mut frames = String::new();
    let mut expected = Vec::new();
    for (i, b) in bad.iter().enumerate() {
        frames.push_str(&format!("{b}\npoints after.pickle.{i} {t} {i}\n"));
        expected.push(format!("after.pickle.{i}"));
    }
    frames.push_str(&format!("points huge.ts {t} 5 inf.value {t} inf\n"));
    expected.push("huge.ts".into());
    expected.push("inf.value".into());
    let port = d.addr("pickle").port().to_string();
    let out = python_client(&["pickle", "127.0.0.1", &port], &frames, d.root());
    assert_eq!(out.trim(), "sent");

    // Still serving, on a new connection.
    let out = python_client(
        &["pickle", "127.0.0.1", &port],
        &format!("points after.new {t} 1\n"),
        d.root(),
    );
    assert_eq!(out.trim(), "sent");
    expected.push("after.new".into());
    wait_for_points(&d, "after.new", t - 10, 1);

    assert!(d.terminate().success());
    assert!(!marker.exists(), "a pickle ran a command");
    for (i, _) in bad.iter().enumerate() {
        let m = format!("after.pickle.{i}");
        assert_eq!(points(&d.file(&m), t - 10), vec![(t, i as f64)], "{m}");
    }
    assert_eq!(points(&d.file("huge.ts"), t - 10), vec![(t, 5.0)]);
    assert_eq!(
        points(&d.file("inf.value"), t - 10),
        vec![(t, f64::INFINITY)]
    );
    assert_eq!(all_files(&d), expected_files(&expected));
}
