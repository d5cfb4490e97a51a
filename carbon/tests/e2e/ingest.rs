//! Issue 3 (carbon-cache), acceptance point 1: the daemon receives plaintext
//! (TCP and UDP), pickle from a real Python client and tagged names, creates files by the
//! first matching schema and aggregation sections, throttles creates without losing points, and
//! answers graphite-web 1.1.10's carbonlink client from the cache.

use std::time::Duration;

use whisper::AggregationMethod;

use crate::util::{
    now, points, python_client, send_tcp, send_udp, wait_for_points, wait_until, wsp_files, Daemon,
    Setup,
};

#[test]
fn plaintext_over_tcp_like_nc() {
    let d = Daemon::start(&Setup::default());
    let t = now() - 100;
    let input = format!(
        "tcp.a 1 {t}\ntcp.a 2.5 {}\ntcp.a -3e2 {}\n\
         tcp.b\t42\t{t}\r\n  tcp.c   7   {t}  \n\
         tcp.now 9 -1\n",
        t + 1,
        t + 2,
    );
    let before = now();
    send_tcp(d.addr("line"), input.as_bytes());
    wait_for_points(&d, "tcp.a", t - 10, 3);
    assert_eq!(
        points(&d.file("tcp.a"), t - 10),
        vec![(t, 1.0), (t + 1, 2.5), (t + 2, -300.0)]
    );
    wait_for_points(&d, "tcp.b", t - 10, 1);
    assert_eq!(points(&d.file("tcp.b"), t - 10), vec![(t, 42.0)]);
    wait_for_points(&d, "tcp.c", t - 10, 1);
    assert_eq!(points(&d.file("tcp.c"), t - 10), vec![(t, 7.0)]);
    // A timestamp of -1 means "now".
    wait_for_points(&d, "tcp.now", t - 10, 1);
    let stored = points(&d.file("tcp.now"), t - 10);
    assert_eq!(stored.len(), 1);
    assert!((before..=now()).contains(&stored[0].0), "{stored:?}");
    assert_eq!(d.file("tcp.a"), d.data_dir().join("tcp/a.wsp"));
}

#[test]
fn plaintext_over_udp() {
    let d = Daemon::start(&Setup::default());
    let t = now() - 100;
    send_udp(
        d.addr("udp"),
        format!("udp.a 1 {t}\nudp.b 2 {t}\r\nudp.a 3 {}", t + 1).as_bytes(),
    );
    send_udp(d.addr("udp"), format!("udp.c 4 {t}\n").as_bytes());
    wait_for_points(&d, "udp.a", t - 10, 2);
    assert_eq!(
        points(&d.file("udp.a"), t - 10),
        vec![(t, 1.0), (t + 1, 3.0)]
    );
    wait_for_points(&d, "udp.b", t - 10, 1);
    assert_eq!(points(&d.file("udp.b"), t - 10), vec![(t, 2.0)]);
    wait_for_points(&d, "udp.c", t - 10, 1);
    assert_eq!(points(&d.file("udp.c"), t - 10), vec![(t, 4.0)]);
}

#[test]
fn pickle_frames_from_a_python_client() {
    let d = Daemon::start(&Setup::default());
    let t = now() - 100;
    // Two frames on one connection, as carbon's own clients send them (protocol 2); float and
    // int timestamps both occur in the wild.
    let frames = format!(
        "points pickle.a {t} 1.5 pickle.b {t} 2 pickle.a {} 3\n\
         points pickle.c {}.0 4 pickle.a {} -5.25\n",
        t + 1,
        t + 1,
        t + 2,
    );
    let port = d.addr("pickle").port().to_string();
    let out = python_client(&["pickle", "127.0.0.1", &port], &frames, d.root());
    assert_eq!(out.trim(), "sent");
    wait_for_points(&d, "pickle.a", t - 10, 3);
    assert_eq!(
        points(&d.file("pickle.a"), t - 10),
        vec![(t, 1.5), (t + 1, 3.0), (t + 2, -5.25)]
    );
    wait_for_points(&d, "pickle.b", t - 10, 1);
    assert_eq!(points(&d.file("pickle.b"), t - 10), vec![(t, 2.0)]);
    wait_for_points(&d, "pickle.c", t - 10, 1);
    assert_eq!(points(&d.file("pickle.c"), t - 10), vec![(t + 1, 4.0)]);
}

#[test]
fn tagged_names_are_stored_under_tagged() {
    let d = Daemon::start(&Setup::default());
    let t = now() - 100;
    let input = format!(
        "foo.tag;z=1;a=2 1 {t}\nfoo.tag;a=2;z=1 2 {}\n~plain.name 3 {t}\nsome.metric;tag1=value2;tag2=value.2 4 {t}\n",
        t + 1
    );
    send_tcp(d.addr("line"), input.as_bytes());
    // Both spellings are one series, stored under its normal form's hash.
    wait_for_points(&d, "foo.tag;a=2;z=1", t - 10, 2);
    let tagged = d.file("foo.tag;a=2;z=1");
    let relative = tagged.strip_prefix(d.data_dir()).unwrap();
    assert!(
        relative.starts_with("_tagged/9f9/585"),
        "{}",
        relative.display()
    );
    assert!(relative
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("9f95851201b9"));
    assert_eq!(points(&tagged, t - 10), vec![(t, 1.0), (t + 1, 2.0)]);
    // `~name` is the plain name.
    wait_for_points(&d, "plain.name", t - 10, 1);
    assert_eq!(d.file("plain.name"), d.data_dir().join("plain/name.wsp"));
    assert_eq!(points(&d.file("plain.name"), t - 10), vec![(t, 3.0)]);
    wait_for_points(&d, "some.metric;tag1=value2;tag2=value.2", t - 10, 1);
    let files = wsp_files(d.data_dir());
    assert_eq!(files.len(), 3, "{files:?}");
}

#[test]
fn files_get_the_first_matching_schema_and_aggregation() {
    let schemas = "\
[carbon]
pattern = ^carbon\\.
retentions = 60:90d

[fine]
pattern = ^schema\\.fine\\.
retentions = 1s:10m,1m:1h

# Unanchored search: also matches schema.fine.b.x, but [fine] comes first.
[ten]
pattern = \\.b\\.
retentions = 10s:1h

[default]
pattern = .*
retentions = 1s:1h
";
    let aggregation = "\
[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

# First match wins even with only one field: the method stays whisper's default.
[count]
pattern = \\.count$
xFilesFactor = 0

[schema_sum]
pattern = ^schema\\.
aggregationMethod = sum
";
    let d = Daemon::start(&Setup::default().schemas(schemas).aggregation(aggregation));
    let t = now() - 100;
    let names = [
        "schema.fine.b.min",
        "schema.q.b.count",
        "schema.q.c",
        "other.b.thing",
        "other.thing",
        "x.min;tag=v",
    ];
    let input: String = names.iter().map(|n| format!("{n} 1 {t}\n")).collect();
    send_tcp(d.addr("line"), input.as_bytes());
    let expect = [
        (
            names[0],
            vec![(1, 600), (60, 60)],
            0.1,
            AggregationMethod::Min,
        ),
        (names[1], vec![(10, 360)], 0.0, AggregationMethod::Average),
        (names[2], vec![(1, 3600)], 0.5, AggregationMethod::Sum),
        (names[3], vec![(10, 360)], 0.5, AggregationMethod::Average),
        (names[4], vec![(1, 3600)], 0.5, AggregationMethod::Average),
        // Patterns see the normalised name, tags included: `\.min$` does not match.
        (names[5], vec![(1, 3600)], 0.5, AggregationMethod::Average),
    ];
    for (name, archives, xff, method) in expect {
        let path = d.file(name);
        wait_until(Duration::from_secs(20), name, || {
            whisper::info(&path).is_ok()
        });
        let header = whisper::info(&path).unwrap();
        let got: Vec<(u32, u32)> = header
            .archives
            .iter()
            .map(|a| (a.seconds_per_point, a.points))
            .collect();
        assert_eq!(got, archives, "{name}");
        assert_eq!(header.x_files_factor, xff, "{name}");
        assert_eq!(header.aggregation_method, method, "{name}");
    }
}

/// Ten metrics, three creates a minute: three files at once, the seven others wait in the
/// cache, where graphite-web's carbonlink client still reads every point, and SIGTERM writes
/// them all.
#[test]
fn max_creates_per_minute_throttles_without_loss() {
    let mut d = Daemon::start(&Setup::default().set("MAX_CREATES_PER_MINUTE", "3"));
    let t = now() - 100;
    let metrics: Vec<String> = (0..10).map(|i| format!("throttle.m{i}")).collect();
    let mut input = String::new();
    for (i, m) in metrics.iter().enumerate() {
        for k in 0..5 {
            input.push_str(&format!("{m} {} {}\n", i * 10 + k, t + k as i64));
        }
    }
    send_tcp(d.addr("line"), input.as_bytes());
    wait_until(Duration::from_secs(20), "three files", || {
        wsp_files(d.data_dir()).len() >= 3
    });
    std::thread::sleep(Duration::from_millis(300));
    let created: Vec<&String> = metrics.iter().filter(|m| d.file(m).exists()).collect();
    assert_eq!(created.len(), 3, "{created:?}");

    let waiting: Vec<&String> = metrics.iter().filter(|m| !d.file(m).exists()).collect();
    let requests: String = waiting.iter().map(|m| format!("query {m}\n")).collect();
    let port = d.addr("cache_query").port().to_string();
    let answers = python_client(&["carbonlink", "127.0.0.1", &port], &requests, d.root());
    for (m, answer) in waiting.iter().zip(answers.lines()) {
        let i: usize = m.trim_start_matches("throttle.m").parse().unwrap();
        let expected: Vec<String> = (0..5)
            .map(|k| format!("({}.0, {}.0)", t + k, i * 10 + k as usize))
            .collect();
        assert_eq!(answer, format!("[{}]", expected.join(", ")), "{m}");
    }
    assert_eq!(wsp_files(d.data_dir()).len(), 3);

    assert!(d.terminate().success());
    for (i, m) in metrics.iter().enumerate() {
        let expected: Vec<(i64, f64)> = (0..5)
            .map(|k| (t + k, (i * 10 + k as usize) as f64))
            .collect();
        assert_eq!(points(&d.file(m), t - 10), expected, "{m}");
    }
}

/// graphite-web 1.1.10's `CarbonLinkPool` reads points the writer has not written yet (the
/// create limit holds them in the cache), and reads and sets a file's aggregation method.
#[test]
fn graphite_web_carbonlink_client() {
    let d = Daemon::start(&Setup::default().set("MAX_CREATES_PER_MINUTE", "1"));
    let t = now() - 100;
    // The one create token of the minute goes to cl.written.
    send_tcp(d.addr("line"), format!("cl.written 1 {t}\n").as_bytes());
    wait_for_points(&d, "cl.written", t - 10, 1);
    send_tcp(
        d.addr("line"),
        format!(
            "cl.pending 2.5 {t}\ncl.pending 3 {}\ncl.pending;dc=x;a=b 4 {t}\n",
            t + 1
        )
        .as_bytes(),
    );
    // send_tcp returned once the daemon had read everything: the points are in the cache.
    let requests = "\
query cl.pending
query cl.pending;a=b;dc=x
query cl.unknown
query cl.written
get cl.written aggregationMethod
set cl.written aggregationMethod max
get cl.written aggregationMethod
get cl.written xFilesFactor
get cl.pending aggregationMethod
";
    let port = d.addr("cache_query").port().to_string();
    let answers = python_client(&["carbonlink", "127.0.0.1", &port], requests, d.root());
    let lines: Vec<&str> = answers.lines().collect();
    assert_eq!(lines.len(), 9, "{answers}");
    assert_eq!(lines[0], format!("[({t}.0, 2.5), ({}.0, 3.0)]", t + 1));
    assert_eq!(lines[1], format!("[({t}.0, 4.0)]"));
    assert_eq!(lines[2], "[]");
    assert_eq!(lines[3], "[]");
    assert_eq!(lines[4], "'average'");
    assert_eq!(lines[5], "[('new_value', 'max'), ('old_value', 'average')]");
    assert_eq!(lines[6], "'max'");
    // Errors come back as {'error': ...}, which the client raises.
    assert!(
        lines[7].starts_with("error CarbonLinkRequestError"),
        "{}",
        lines[7]
    );
    assert!(
        lines[8].starts_with("error CarbonLinkRequestError"),
        "{}",
        lines[8]
    );
    let header = whisper::info(&d.file("cl.written")).unwrap();
    assert_eq!(header.aggregation_method, AggregationMethod::Max);
    assert!(!d.file("cl.pending").exists());
}
