//! An https GRAPHITE_URL: carbon-cache registers tagged series with a tag API served over TLS
//! (Python's ssl, with the certificate of `tls/`), trusting the CA that SSL_CERT_FILE names, as
//! the reference's urllib3 does.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::{now, reference_python, send_tcp, wait_for_points, Daemon, Setup};

/// The Python tag API stand-in (`clients.py tagdb-https`), killed when dropped.
struct TagApi {
    child: Child,
    port: u16,
    paths: mpsc::Receiver<String>,
}

impl TagApi {
    fn start() -> TagApi {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
        let mut child = Command::new(reference_python())
            .arg(dir.join("clients.py"))
            .arg("tagdb-https")
            .arg(dir.join("tls/server.pem"))
            .arg(dir.join("tls/server.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the reference python");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("read");
        let port = first
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not a port line: {first:?}"));
        let (tx, paths) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(p) = line.strip_prefix("path ") {
                    let _ = tx.send(p.to_owned());
                }
            }
        });
        TagApi { child, port, paths }
    }
}

impl Drop for TagApi {
    fn drop(&mut self) {
        // Closing stdin ends the server; kill it in case it hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tagged_series_are_registered_over_https() {
    let api = TagApi::start();
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/tls/ca.pem");
    let d = Daemon::start(
        &Setup::default()
            .set("ENABLE_TAGS", "True")
            .set("GRAPHITE_URL", &format!("https://127.0.0.1:{}", api.port))
            .env("SSL_CERT_FILE", ca.to_str().expect("utf-8 path")),
    );
    let t = now() - 10;
    send_tcp(
        d.addr("line"),
        format!("tls.metric;dc=eu 1 {t}\n").as_bytes(),
    );
    wait_for_points(&d, "tls.metric;dc=eu", t - 10, 1);
    let path = api
        .paths
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("no series registered over https:\n{}", d.log()));
    assert_eq!(path, "tls.metric;dc=eu");
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let api = TagApi::start();
    // No SSL_CERT_FILE: the built-in roots do not know the test CA.
    let d = Daemon::start(
        &Setup::default()
            .set("ENABLE_TAGS", "True")
            .set("GRAPHITE_URL", &format!("https://127.0.0.1:{}", api.port))
            .env("SSL_CERT_FILE", ""),
    );
    let t = now() - 10;
    send_tcp(
        d.addr("line"),
        format!("tls.untrusted;dc=eu 1 {t}\n").as_bytes(),
    );
    wait_for_points(&d, "tls.untrusted;dc=eu", t - 10, 1);
    crate::util::wait_until(Duration::from_secs(20), "a failed tagdb post", || {
        d.log().contains("[tagdb] error tagging series")
    });
    assert!(api.paths.try_recv().is_err());
}
