//! `graphite-web`: serves the render, metrics and functions APIs over the whisper tree and
//! carbon-cache, until SIGTERM or SIGINT.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use tokio_util::sync::CancellationToken;
use webapp::settings::{Env, Settings};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "graphite-web",
    version,
    about = "Graphite's web API: /render, /metrics/find, /metrics/expand, /functions, over whisper files and carbon-cache.",
    after_help = "Environment:\n  GRAPHITE_ROOT         Root of the installation (default /opt/graphite)\n  GRAPHITE_CONF_DIR     Where graphite-web.conf is looked for (default GRAPHITE_ROOT/conf)\n  GRAPHITE_STORAGE_DIR  Storage directory (default GRAPHITE_ROOT/storage)\n  RUST_LOG              Log filter (default: info)"
)]
struct Args {
    /// Settings file (graphite-web setting names, `NAME = value` lines). Default:
    /// GRAPHITE_CONF_DIR/graphite-web.conf when it exists, else built-in defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8080")]
    bind: String,
    /// Write the bound address (`ip:port`) to this file once listening (useful with port 0).
    #[arg(long)]
    listener_addr_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Escape codes only for a terminal, not for a log file or the journal.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_settings(args: &Args) -> anyhow::Result<Settings> {
    let env = Env::from_process();
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => {
            let conf_dir = std::env::var_os("GRAPHITE_CONF_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env.graphite_root.as_deref().unwrap_or("/opt/graphite"))
                        .join("conf")
                });
            let candidate = conf_dir.join("graphite-web.conf");
            candidate.exists().then_some(candidate)
        }
    };
    let settings = match &path {
        Some(path) => Settings::load(path, &env)?,
        None => Settings::derive(&[], &env)?,
    };
    match &path {
        Some(path) => tracing::info!(config = %path.display(), "settings loaded"),
        None => tracing::info!("no settings file; using defaults"),
    }
    if !settings.ignored.is_empty() {
        tracing::info!(names = ?settings.ignored, "settings without effect in this server");
    }
    if !settings.unknown.is_empty() {
        tracing::warn!(names = ?settings.unknown, "unknown settings ignored");
    }
    Ok(settings)
}

fn run(args: Args) -> anyhow::Result<()> {
    let settings = load_settings(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("binding {}", args.bind))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(webapp::app::AppState::new(settings, tokio::runtime::Handle::current())?);
        if let Some(file) = &args.listener_addr_file {
            std::fs::write(file, format!("{addr}\n"))
                .with_context(|| format!("writing {}", file.display()))?;
        }
        tracing::info!(%addr, whisper_dir = %state.settings.whisper_dir.display(), "graphite-web listening");
        let shutdown = CancellationToken::new();
        tokio::spawn(wait_for_signal(shutdown.clone()));
        axum::serve(listener, webapp::app::router(&state))
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("serving")?;
        tracing::info!("graphite-web stopped");
        Ok(())
    })
}

async fn wait_for_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
