//! Load generator for the graphite-web benchmark (`bench/webapp.sh`): sends GET requests over
//! several HTTP/1.1 connections, each thread one connection, as fast as the server answers,
//! and prints one JSON object with the rate, the latency percentiles and the bytes received.
//!
//! Connections are kept alive; a response with `Connection: close` (gunicorn's sync workers
//! answer every request so), an HTTP/1.0 response without keep-alive, or a body delimited by
//! the end of the connection makes the next request open a new connection, and that connect
//! counts in the next request's latency (it is part of what the client waits for). Bodies are
//! read whole (`Content-Length`, `Transfer-Encoding: chunked` or up to the close) and dropped.
//!
//! Before the clock starts each connection sends `--warmup` requests, then all wait for one
//! another. Then requests are handed out until `--max-requests` have been sent, or until
//! `--duration` seconds have passed and at least `--min-requests` were sent. With several
//! `--path`s, request *i* asks for path *i* modulo their number.
//!
//! `--null-server BYTES` answers the requests itself (an in-process server on a free port that
//! reads each request and writes a canned `BYTES`-byte body with `Content-Length`): the
//! generator's own ceiling on this machine; `--addr` is then ignored.
//!
//! Standard library only, so that it builds on its own (`rustc -O webapp/examples/http_load.rs`)
//! whatever the state of the crate it sits in.
//!
//! ```sh
//! cargo run --release -p webapp --example http_load -- --addr 127.0.0.1:8080 \
//!     --path '/render?target=a.b.c&from=-1d&format=json' --connections 4 --duration 5
//! ```

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: http_load --addr HOST:PORT --path PATH [--path PATH...] \
[--connections N] [--duration SECS] [--min-requests N] [--max-requests N] [--warmup N] \
[--timeout SECS] [--save-first FILE] [--header 'Name: value'] [--null-server BYTES]";

#[derive(Debug)]
struct Args {
    addr: String,
    paths: Vec<String>,
    connections: usize,
    duration: f64,
    min_requests: u64,
    max_requests: u64,
    warmup: u64,
    timeout: f64,
    save_first: Option<String>,
    headers: Vec<String>,
    null_server: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: String::new(),
        paths: Vec::new(),
        connections: 4,
        duration: 5.0,
        min_requests: 1,
        max_requests: u64::MAX,
        warmup: 1,
        timeout: 300.0,
        save_first: None,
        headers: Vec::new(),
        null_server: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--addr" => a.addr = value,
            "--path" => a.paths.push(value),
            "--connections" => a.connections = num(&value)? as usize,
            "--duration" => a.duration = num(&value)?,
            "--min-requests" => a.min_requests = num(&value)? as u64,
            "--max-requests" => a.max_requests = num(&value)? as u64,
            "--warmup" => a.warmup = num(&value)? as u64,
            "--timeout" => a.timeout = num(&value)?,
            "--save-first" => a.save_first = Some(value),
            "--header" => a.headers.push(value),
            "--null-server" => a.null_server = Some(num(&value)? as usize),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.paths.is_empty() {
        a.paths.push("/".into());
    }
    if a.addr.is_empty() && a.null_server.is_none() {
        return Err("--addr is required".into());
    }
    if a.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    a.min_requests = a.min_requests.min(a.max_requests);
    Ok(a)
}

/// One response, as far as the benchmark cares.
#[derive(Debug)]
struct Response {
    status: u16,
    /// The server will close the connection (or did: body read to the end).
    close: bool,
}

/// One client connection, opened on demand.
#[derive(Debug)]
struct Conn<'a> {
    args: &'a Args,
    request_head: Vec<Vec<u8>>,
    stream: Option<BufReader<TcpStream>>,
    /// Responses read on the current connection.
    served: u64,
    connects: u64,
    line: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl<'a> Conn<'a> {
    fn new(args: &'a Args) -> Self {
        let extra: String = args.headers.iter().map(|h| format!("{h}\r\n")).collect();
        let request_head = args
            .paths
            .iter()
            .map(|p| {
                format!(
                    "GET {p} HTTP/1.1\r\nHost: {}\r\nUser-Agent: http_load\r\nAccept: */*\r\n{extra}\r\n",
                    args.addr
                )
                .into_bytes()
            })
            .collect();
        Conn {
            args,
            request_head,
            stream: None,
            served: 0,
            connects: 0,
            line: Vec::with_capacity(256),
        }
    }

    fn connect(&mut self) -> io::Result<()> {
        let s = TcpStream::connect(&self.args.addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs_f64(self.args.timeout)))?;
        self.stream = Some(BufReader::with_capacity(64 * 1024, s));
        self.served = 0;
        self.connects += 1;
        Ok(())
    }

    /// Sends request `i` and reads the whole response into `body`. A kept-alive connection
    /// that the server closed before answering is reopened once.
    fn request(&mut self, i: u64, body: &mut Vec<u8>) -> io::Result<Response> {
        let head = (i % self.request_head.len() as u64) as usize;
        for attempt in 0..2 {
            if self.stream.is_none() {
                self.connect()?;
            }
            let reused = self.served > 0;
            match self.exchange(head, body) {
                Ok(r) => {
                    self.served += 1;
                    if r.close {
                        self.stream = None;
                    }
                    return Ok(r);
                }
                Err(e) => {
                    self.stream = None;
                    let stale = reused
                        && attempt == 0
                        && matches!(
                            e.kind(),
                            io::ErrorKind::UnexpectedEof
                                | io::ErrorKind::ConnectionReset
                                | io::ErrorKind::BrokenPipe
                        );
                    if !stale {
                        return Err(e);
                    }
                }
            }
        }
        Err(bad("unreachable"))
    }

    fn read_line(&mut self) -> io::Result<usize> {
        self.line.clear();
        let s = self.stream.as_mut().expect("connected");
        let n = s.read_until(b'\n', &mut self.line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        Ok(n)
    }

    fn exchange(&mut self, head: usize, body: &mut Vec<u8>) -> io::Result<Response> {
        let s = self.stream.as_mut().expect("connected");
        s.get_mut().write_all(&self.request_head[head])?;
        // Status line (skipping any 100 Continue).
        let (status, http10) = loop {
            self.read_line()?;
            let line = String::from_utf8_lossy(&self.line).into_owned();
            let mut parts = line.splitn(3, ' ');
            let version = parts.next().unwrap_or("");
            let status: u16 = parts
                .next()
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
            if status == 100 {
                while self.read_line()? > 0 && !self.line.is_empty() {}
                continue;
            }
            break (status, version == "HTTP/1.0");
        };
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut close = http10;
        loop {
            self.read_line()?;
            if self.line.is_empty() {
                break;
            }
            let Some(colon) = self.line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = String::from_utf8_lossy(&self.line[..colon]).to_ascii_lowercase();
            let value = String::from_utf8_lossy(&self.line[colon + 1..])
                .trim()
                .to_ascii_lowercase();
            match name.as_str() {
                "content-length" => {
                    length = Some(value.parse().map_err(|_| bad("bad Content-Length"))?);
                }
                "transfer-encoding" => chunked = value.split(',').any(|v| v.trim() == "chunked"),
                "connection" => {
                    for token in value.split(',').map(str::trim) {
                        if token == "close" {
                            close = true;
                        } else if token == "keep-alive" {
                            close = false;
                        }
                    }
                }
                _ => {}
            }
        }
        body.clear();
        let s = self.stream.as_mut().expect("connected");
        if status == 204 || status == 304 {
            // No body.
        } else if chunked {
            loop {
                self.read_line()?;
                let text = String::from_utf8_lossy(&self.line);
                let size_text = text.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
                if size == 0 {
                    // Trailers up to the empty line.
                    while self.read_line()? > 0 && !self.line.is_empty() {}
                    break;
                }
                let s = self.stream.as_mut().expect("connected");
                let start = body.len();
                body.resize(start + size, 0);
                s.read_exact(&mut body[start..])?;
                self.read_line()?;
                if !self.line.is_empty() {
                    return Err(bad("chunk not followed by CRLF"));
                }
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            s.read_exact(body)?;
        } else {
            s.read_to_end(body)?;
            close = true;
        }
        Ok(Response { status, close })
    }
}

#[derive(Debug, Default)]
struct ThreadResult {
    latencies_ns: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    first_error: Option<String>,
    first_bad_status: Option<(u16, String)>,
    bytes: u64,
    min_body: Option<usize>,
    max_body: usize,
    connects: u64,
    end: Option<Instant>,
}

#[derive(Debug)]
struct Shared {
    started: AtomicU64,
    t0: OnceLock<Instant>,
    barrier: Barrier,
    first: Mutex<Option<(u16, Vec<u8>)>>,
}

fn run_connection(args: &Args, shared: &Shared) -> ThreadResult {
    let mut conn = Conn::new(args);
    let mut body = Vec::new();
    let mut out = ThreadResult::default();
    for w in 0..args.warmup {
        match conn.request(w, &mut body) {
            Ok(r) => {
                let mut first = shared.first.lock().unwrap();
                if first.is_none() {
                    *first = Some((r.status, body.clone()));
                }
            }
            Err(e) => {
                out.errors += 1;
                out.first_error
                    .get_or_insert_with(|| format!("warmup: {e}"));
            }
        }
    }
    let warmup_connects = conn.connects;
    shared.barrier.wait();
    let t0 = *shared.t0.get_or_init(Instant::now);
    let duration = Duration::from_secs_f64(args.duration);
    loop {
        let i = shared.started.fetch_add(1, Ordering::Relaxed);
        if i >= args.max_requests || (i >= args.min_requests && t0.elapsed() >= duration) {
            break;
        }
        let start = Instant::now();
        match conn.request(i, &mut body) {
            Ok(r) => {
                out.latencies_ns.push(start.elapsed().as_nanos() as u64);
                *out.statuses.entry(r.status).or_default() += 1;
                out.bytes += body.len() as u64;
                out.min_body = Some(out.min_body.map_or(body.len(), |m| m.min(body.len())));
                out.max_body = out.max_body.max(body.len());
                if r.status != 200 && out.first_bad_status.is_none() {
                    let snippet =
                        String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                    out.first_bad_status = Some((r.status, snippet));
                }
                if args.warmup == 0 {
                    let mut first = shared.first.lock().unwrap();
                    if first.is_none() {
                        *first = Some((r.status, body.clone()));
                    }
                }
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert_with(|| e.to_string());
                // Do not spin on a server that is gone.
                if out.errors > 100 && out.latencies_ns.is_empty() {
                    break;
                }
            }
        }
    }
    out.end = Some(Instant::now());
    out.connects = conn.connects - warmup_connects;
    out
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64 / 1e6
}

/// Starts the in-process server of `--null-server`: a thread per connection, each answering
/// every request (read up to its blank line) with the same response. Returns its address.
fn start_null_server(body_len: usize) -> io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n"
    )
    .into_bytes();
    response.extend(std::iter::repeat_n(b'x', body_len));
    let response: &'static [u8] = Box::leak(response.into_boxed_slice());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut line = Vec::new();
                loop {
                    // One request: lines up to the empty one.
                    loop {
                        line.clear();
                        match reader.read_until(b'\n', &mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if line == b"\r\n" || line == b"\n" {
                            break;
                        }
                    }
                    if writer.write_all(response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(addr)
}

fn main() {
    let mut args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("http_load: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Some(n) = args.null_server {
        match start_null_server(n) {
            Ok(addr) => args.addr = addr,
            Err(e) => {
                eprintln!("http_load: cannot start the null server: {e}");
                std::process::exit(1);
            }
        }
    }
    let args = args;
    let shared = Shared {
        started: AtomicU64::new(0),
        t0: OnceLock::new(),
        barrier: Barrier::new(args.connections),
        first: Mutex::new(None),
    };
    let results: Vec<ThreadResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.connections)
            .map(|_| scope.spawn(|| run_connection(&args, &shared)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("connection thread"))
            .collect()
    });
    let t0 = shared.t0.get().copied().unwrap_or_else(Instant::now);
    let end = results.iter().filter_map(|r| r.end).max().unwrap_or(t0);
    let elapsed = end.duration_since(t0).as_secs_f64();

    let mut lat: Vec<u64> = results
        .iter()
        .flat_map(|r| r.latencies_ns.iter().copied())
        .collect();
    lat.sort_unstable();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for r in &results {
        for (s, n) in &r.statuses {
            *statuses.entry(*s).or_default() += n;
        }
    }
    let requests = lat.len() as u64;
    let ok = statuses.get(&200).copied().unwrap_or(0);
    let errors: u64 = results.iter().map(|r| r.errors).sum();
    let bytes: u64 = results.iter().map(|r| r.bytes).sum();
    let connects: u64 = results.iter().map(|r| r.connects).sum();
    let min_body = results.iter().filter_map(|r| r.min_body).min().unwrap_or(0);
    let max_body = results.iter().map(|r| r.max_body).max().unwrap_or(0);
    let mean = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(|&n| n as f64).sum::<f64>() / lat.len() as f64 / 1e6
    };
    let first_error = results.iter().find_map(|r| r.first_error.clone());
    let first_bad = results.iter().find_map(|r| r.first_bad_status.clone());

    let mut first_status = 0;
    if let Some((status, body)) = shared.first.lock().unwrap().take() {
        first_status = status;
        if let Some(path) = &args.save_first {
            if let Err(e) = std::fs::write(path, &body) {
                eprintln!("http_load: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
    }

    let statuses_json: Vec<String> = statuses
        .iter()
        .map(|(s, n)| format!("\"{s}\": {n}"))
        .collect();
    let mut o = String::from("{");
    o += &format!("\"connections\": {}, ", args.connections);
    o += &format!("\"requests\": {requests}, \"ok\": {ok}, \"errors\": {errors}, ");
    o += &format!("\"statuses\": {{{}}}, ", statuses_json.join(", "));
    o += &format!("\"elapsed_secs\": {elapsed:.6}, ");
    o += &format!(
        "\"rps\": {:.4}, ",
        if elapsed > 0.0 {
            requests as f64 / elapsed
        } else {
            0.0
        }
    );
    o += &format!("\"bytes\": {bytes}, \"body_min\": {min_body}, \"body_max\": {max_body}, ");
    o += &format!("\"connects\": {connects}, ");
    o += &format!(
        "\"latency_ms\": {{\"mean\": {mean:.4}, \"min\": {:.4}, \"p50\": {:.4}, \"p90\": {:.4}, \
         \"p99\": {:.4}, \"max\": {:.4}}}, ",
        percentile(&lat, 0.0),
        percentile(&lat, 50.0),
        percentile(&lat, 90.0),
        percentile(&lat, 99.0),
        percentile(&lat, 100.0)
    );
    o += &format!("\"first_status\": {first_status}, ");
    o += &format!(
        "\"first_error\": {}, ",
        first_error.as_deref().map_or("null".to_string(), json_str)
    );
    o += &format!(
        "\"first_bad_status\": {}",
        first_bad.map_or("null".to_string(), |(s, b)| format!(
            "{{\"status\": {s}, \"body\": {}}}",
            json_str(&b)
        ))
    );
    o += "}";
    println!("{o}");
}
