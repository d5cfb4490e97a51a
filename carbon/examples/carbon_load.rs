//! Load generator for the carbon-cache benchmark (`bench/carbon.sh`): pre-renders plaintext
//! lines or pickle frames for M metrics x P points, then sends them over several TCP
//! connections as fast as the receiver reads, and prints one JSON object with its timings.
//!
//! The load: metric `m` is `<prefix>.host<m / 100>.cpu<m % 100>` (100 files per directory);
//! point `j` has timestamp `base + j` and value `j + m / 1000`. Connection `c` carries the
//! metrics `m` with `m % C == c`, ordered as live traffic is: point 0 of each of its metrics,
//! then point 1, and so on. Pickle frames hold `--batch` consecutive points as a protocol-2
//! pickled list of `(metric, (timestamp, value))`, as carbon-relay sends them.
//!
//! Each connection writes its whole buffer, half-closes, then reads until the daemon closes
//! the connection. Both daemons read a connection to its end before closing it, and handle
//! what they read before reading more, so `done` is when the daemon has received (cached)
//! every point. `--null-sink` sends to an in-process reader that discards the bytes: the
//! generator's own ceiling on this machine.
//!
//! ```sh
//! cargo run --release -p carbon --example carbon_load -- --addr 127.0.0.1:2003 \
//!     --protocol plaintext --metrics 10000 --points 100 --connections 4
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use carbon_proto::pickle::{self, Value};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Protocol {
    Plaintext,
    Pickle,
}

#[derive(Debug, Parser)]
#[command(about = "Blasts pre-rendered carbon traffic at a daemon and reports the send rate")]
struct Args {
    /// Where to send (`host:port`); ignored with --null-sink.
    #[arg(long)]
    addr: Option<String>,
    /// Wire format.
    #[arg(long, value_enum, default_value_t = Protocol::Plaintext)]
    protocol: Protocol,
    /// Distinct metrics.
    #[arg(long, default_value_t = 1000)]
    metrics: usize,
    /// Points per metric.
    #[arg(long, default_value_t = 100)]
    points: usize,
    /// TCP connections (one thread each).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Points per pickle frame.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// First component of every metric name.
    #[arg(long, default_value = "bench")]
    prefix: String,
    /// Timestamp of point 0 (default: now - points - 60).
    #[arg(long)]
    base: Option<i64>,
    /// Send to an in-process reader that discards everything (the generator's ceiling).
    #[arg(long)]
    null_sink: bool,
}

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// User + system CPU seconds of this process, from /proc/self/stat.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn metric_name(prefix: &str, m: usize) -> String {
    format!("{prefix}.host{}.cpu{}", m / 100, m % 100)
}

/// The bytes connection `conn` sends.
fn render(args: &Args, conn: usize, base: i64) -> Vec<u8> {
    let names: Vec<String> = (conn..args.metrics)
        .step_by(args.connections)
        .map(|m| metric_name(&args.prefix, m))
        .collect();
    let metric_ids: Vec<usize> = (conn..args.metrics).step_by(args.connections).collect();
    let value = |j: usize, m: usize| j as f64 + m as f64 / 1000.0;
    let mut out = Vec::new();
    match args.protocol {
        Protocol::Plaintext => {
            out.reserve(names.len() * args.points * (names.first().map_or(0, String::len) + 24));
            for j in 0..args.points {
                let ts = base + j as i64;
                for (name, &m) in names.iter().zip(&metric_ids) {
                    writeln!(out, "{name} {} {ts}", value(j, m)).expect("write to a Vec");
                }
            }
        }
        Protocol::Pickle => {
            let mut batch = Vec::with_capacity(args.batch);
            let flush = |batch: &mut Vec<Value>, out: &mut Vec<u8>| {
                if batch.is_empty() {
                    return;
                }
                let payload = pickle::encode(&Value::List(std::mem::take(batch)));
                out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                out.extend_from_slice(&payload);
            };
            for j in 0..args.points {
                let ts = base + j as i64;
                for (name, &m) in names.iter().zip(&metric_ids) {
                    batch.push(Value::Tuple(vec![
                        Value::Str(name.clone()),
                        Value::Tuple(vec![Value::Int(ts), Value::Float(value(j, m))]),
                    ]));
                    if batch.len() >= args.batch {
                        flush(&mut batch, &mut out);
                    }
                }
            }
            flush(&mut batch, &mut out);
        }
    }
    out
}

/// Accepts connections and discards what they send; returns the address.
fn null_sink(connections: usize) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 256 * 1024];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                let _ = s.shutdown(Shutdown::Both);
            });
        }
    });
    Ok(addr)
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    assert!(
        args.connections >= 1 && args.batch >= 1,
        "connections and batch must be positive"
    );
    let base = args
        .base
        .unwrap_or_else(|| epoch() as i64 - args.points as i64 - 60);
    let render_started = Instant::now();
    let buffers: Vec<Vec<u8>> = std::thread::scope(|s| {
        let args = &args;
        let handles: Vec<_> = (0..args.connections)
            .map(|c| s.spawn(move || render(args, c, base)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("render thread"))
            .collect()
    });
    let render_secs = render_started.elapsed().as_secs_f64();
    let bytes: usize = buffers.iter().map(Vec::len).sum();
    let addr = if args.null_sink {
        null_sink(args.connections)?
    } else {
        args.addr
            .clone()
            .expect("--addr is required without --null-sink")
    };
    let streams = buffers
        .iter()
        .map(|_| TcpStream::connect(&addr))
        .collect::<std::io::Result<Vec<_>>>()?;

    let cpu_before = cpu_secs();
    let start_unix = epoch();
    let started = Instant::now();
    let per_conn: Vec<(f64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .into_iter()
            .zip(&buffers)
            .map(|(mut stream, buf)| {
                s.spawn(move || {
                    let _ = stream.set_nodelay(true);
                    stream.write_all(buf).expect("send");
                    let _ = stream.shutdown(Shutdown::Write);
                    let sent = started.elapsed().as_secs_f64();
                    // Wait for the daemon to close: it has read (and stored) everything.
                    let mut sink = [0u8; 4096];
                    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                    (sent, started.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("send thread"))
            .collect()
    });
    let sent_secs = per_conn.iter().map(|c| c.0).fold(0.0, f64::max);
    let done_secs = per_conn.iter().map(|c| c.1).fold(0.0, f64::max);
    let cpu_send = cpu_secs() - cpu_before;
    let points = args.metrics * args.points;
    println!(
        "{{\"protocol\":\"{:?}\",\"metrics\":{},\"points_per_metric\":{},\"points\":{points},\"bytes\":{bytes},\"connections\":{},\"render_secs\":{render_secs:.4},\"start_unix\":{start_unix:.6},\"sent_secs\":{sent_secs:.4},\"done_secs\":{done_secs:.4},\"send_cpu_secs\":{cpu_send:.3},\"done_rate\":{:.0},\"base\":{base}}}",
        args.protocol,
        args.metrics,
        args.points,
        args.connections,
        points as f64 / done_secs.max(1e-9),
    );
    Ok(())
}
