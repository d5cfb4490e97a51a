//! `carbon-cache`: reads carbon.conf, binds the listeners, and runs until SIGTERM or SIGINT,
//! then flushes the cache to disk. Runs in the foreground (for systemd) and logs to LOG_DIR, or
//! to standard output with --nodaemon or --debug; started as root with USER set, it becomes
//! USER once bound. `stop` and `status` act on the pidfile of a running instance.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use carbon::daemon::{self, ConfigFiles, Listeners};
use carbon::log::{CarbonLog, Output};
use carbon::privileges::{self, Plan};
use carbon_conf::{CacheSettings, LoadOptions, PathDefaults};
use clap::{Parser, ValueEnum};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Action {
    /// Run the daemon (in the foreground).
    Start,
    /// Send SIGTERM to the instance named by the pidfile.
    Stop,
    /// Say whether the instance named by the pidfile runs.
    Status,
}

#[derive(Debug, Parser)]
#[command(
    name = "carbon-cache",
    version,
    about = "Graphite's carbon-cache: receives metrics (plaintext, pickle), caches them, writes whisper files and answers cache queries.",
    after_help = "Environment:\n  GRAPHITE_ROOT         Root of the installation (default: the parent of the directory holding\n                        this program when that directory is named bin, else the current directory)\n  GRAPHITE_CONF_DIR     Configuration directory (default: GRAPHITE_ROOT/conf)\n  GRAPHITE_STORAGE_DIR  Storage directory (default: GRAPHITE_ROOT/storage; carbon.conf may override it)\n  RUST_LOG              Log filter (default: info; --debug adds carbon's debug messages)\n  SSL_CERT_FILE         PEM certificates to trust for an https GRAPHITE_URL (default: the\n                        built-in Mozilla roots)"
)]
struct Args {
    /// What to do.
    #[arg(value_enum, default_value_t = Action::Start)]
    action: Action,
    /// carbon.conf to read (default: GRAPHITE_CONF_DIR/carbon.conf). Its directory becomes the
    /// configuration directory, where storage-schemas.conf is read.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Instance name: the `[cache:<instance>]` section overrides `[cache]`.
    #[arg(long, default_value = "a")]
    instance: String,
    /// PID file (default: PID_DIR/carbon-cache-<instance>.pid).
    #[arg(long)]
    pidfile: Option<PathBuf>,
    /// Log directory (default: LOG_DIR/carbon-cache-<instance>), where console.log and one
    /// file per log type (creates.log, updates.log, listener.log, query.log...) are written.
    #[arg(long)]
    logdir: Option<PathBuf>,
    /// Whitelist file (default: CONF_DIR/whitelist.conf), used with USE_WHITELIST.
    #[arg(long)]
    whitelist: Option<PathBuf>,
    /// Blacklist file (default: CONF_DIR/blacklist.conf), used with USE_WHITELIST.
    #[arg(long)]
    blacklist: Option<PathBuf>,
    /// Write the bound listener addresses (`name address` lines) to this file once listening:
    /// with --free-ports, this tells tests and scripts where to connect.
    #[arg(long)]
    listener_addr_file: Option<PathBuf>,
    /// Bind each enabled listener on a port the system chooses instead of its configured one
    /// (for tests, with --listener-addr-file).
    #[arg(long)]
    free_ports: bool,
    /// Log to standard output, debug messages included, instead of LOG_DIR (the daemon always
    /// runs in the foreground).
    #[arg(long)]
    debug: bool,
    /// Log to standard output instead of LOG_DIR, each line tagged with its log type (the
    /// daemon always runs in the foreground).
    #[arg(long)]
    nodaemon: bool,
}

fn graphite_root() -> PathBuf {
    if let Some(root) = std::env::var_os("GRAPHITE_ROOT") {
        return PathBuf::from(root);
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    match exe_dir {
        Some(dir) if dir.file_name().is_some_and(|n| n == "bin") => {
            dir.parent().map_or(dir.clone(), Path::to_path_buf)
        }
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// The settings, and the warnings to log once logging is set up.
fn load(args: &Args) -> anyhow::Result<(CacheSettings, Vec<String>)> {
    let defaults = PathDefaults {
        graphite_root: graphite_root(),
        conf_dir: std::env::var_os("GRAPHITE_CONF_DIR").map(PathBuf::from),
        storage_dir: std::env::var_os("GRAPHITE_STORAGE_DIR").map(PathBuf::from),
    };
    let options = LoadOptions {
        config: args.config.clone(),
        instance: Some(args.instance.clone()),
        pidfile: args.pidfile.clone(),
        logdir: args.logdir.clone(),
    };
    CacheSettings::load(&options, &defaults).context("cannot read the configuration")
}

/// Creates `dir` and its missing parents, handing each one created to USER.
fn create_dirs(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for p in missing.iter().rev() {
        plan.hand_over(p)?;
    }
    Ok(())
}

/// Sends the log to LOG_DIR, or to standard output with --debug or --nodaemon, as the
/// reference does.
fn init_logging(args: &Args, settings: &CacheSettings, plan: &Plan) -> anyhow::Result<()> {
    let output = if args.debug || args.nodaemon {
        Output::Stdout
    } else {
        create_dirs(&settings.log_dir, plan)?;
        Output::Dir {
            dir: settings.log_dir.clone(),
            rotation: settings.enable_logrotation,
        }
    };
    let log = CarbonLog::open(&output)
        .with_context(|| format!("cannot open the logs in {}", settings.log_dir.display()))?;
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.debug {
        // carbon's debug messages, whatever RUST_LOG says (the reference's setDebugEnabled).
        for target in ["carbon", "carbon_cache", "listener", "query", "tagdb"] {
            filter = filter.add_directive(format!("{target}=debug").parse()?);
        }
    }
    tracing_subscriber::registry().with(filter).with(log).init();
    Ok(())
}

/// Logging for `stop` and `status`, which write no log files: warnings to standard error.
fn init_stderr_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn read_pid(pidfile: &Path) -> Option<u32> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

fn is_running(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

fn stop_or_status(
    action: Action,
    settings: &CacheSettings,
    instance: &str,
) -> anyhow::Result<ExitCode> {
    let pidfile = &settings.pidfile;
    let Some(pid) = read_pid(pidfile) else {
        if action == Action::Stop {
            println!("Pidfile {} does not exist", pidfile.display());
            return Ok(ExitCode::SUCCESS);
        }
        println!("carbon-cache (instance {instance}) is not running");
        return Ok(ExitCode::FAILURE);
    };
    if action == Action::Status {
        return Ok(if is_running(pid) {
            println!("carbon-cache (instance {instance}) is running with pid {pid}");
            ExitCode::SUCCESS
        } else {
            println!("carbon-cache (instance {instance}) is not running");
            ExitCode::FAILURE
        });
    }
    if is_running(pid) {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .context("cannot run kill")?;
        if !status.success() {
            bail!("kill {pid} failed");
        }
        println!("Sent kill signal to pid {pid}");
    } else {
        println!(
            "Pidfile {} is stale (pid {pid} not running)",
            pidfile.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Removes the pidfile when the daemon ends, however it ends.
struct PidFile(PathBuf);

impl PidFile {
    fn create(path: &Path) -> anyhow::Result<Self> {
        if let Some(pid) = read_pid(path) {
            if is_running(pid) && pid != std::process::id() {
                bail!(
                    "carbon-cache is already running with pid {pid} ({})",
                    path.display()
                );
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, format!("{}\n", std::process::id()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn serve(args: Args, settings: CacheSettings, plan: Plan) -> anyhow::Result<()> {
    let mut files = ConfigFiles::in_conf_dir(&settings.conf_dir);
    if let Some(w) = &args.whitelist {
        files.whitelist = w.clone();
    }
    if let Some(b) = &args.blacklist {
        files.blacklist = b.clone();
    }
    if !files.storage_schemas.exists() {
        bail!(
            "missing required config {}",
            files.storage_schemas.display()
        );
    }
    create_dirs(&settings.local_data_dir, &plan)?;
    let _pidfile = PidFile::create(&settings.pidfile)?;
    let listeners = Listeners::bind(&settings, args.free_ports).await?;
    if let Some(path) = &args.listener_addr_file {
        let text: String = listeners
            .addresses()
            .into_iter()
            .map(|(name, addr)| format!("{name} {addr}\n"))
            .collect();
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    // Bound, and the pid and log files open: give up root (the pidfile then outlives the
    // daemon when USER cannot delete it, as with the reference).
    plan.apply()?;
    if let Plan::Switch { user, uid, gid } = &plan {
        info!("dropped privileges to {user} (uid {uid}, gid {gid})");
    }
    let shutdown = CancellationToken::new();
    let reload = Arc::new(Notify::new());
    spawn_signal_handler(shutdown.clone(), Arc::clone(&reload))?;
    info!(instance = %args.instance, data_dir = %settings.local_data_dir.display(), "carbon-cache starting");
    daemon::run(settings, files, listeners, shutdown, reload).await?;
    Ok(())
}

fn spawn_signal_handler(shutdown: CancellationToken, reload: Arc<Notify>) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { info!("SIGTERM received"); shutdown.cancel(); }
                _ = int.recv() => { info!("SIGINT received"); shutdown.cancel(); }
                _ = hup.recv() => { info!("SIGHUP received: reloading"); reload.notify_one(); }
            }
        }
    });
    Ok(())
}

fn start(args: Args, settings: CacheSettings, warnings: Vec<String>) -> anyhow::Result<()> {
    // Refused before anything is written or bound.
    let plan = privileges::plan(&settings.user, privileges::current_uid())?;
    // The reference's one line on the terminal, whatever the log output.
    println!("Starting carbon-cache (instance {})", args.instance);
    init_logging(&args, &settings, &plan)?;
    for w in warnings {
        warn!("{w}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, settings, plan))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = load(&args).and_then(|(settings, warnings)| match args.action {
        Action::Start => start(args, settings, warnings).map(|()| ExitCode::SUCCESS),
        action => {
            init_stderr_logging();
            for w in warnings {
                warn!("{w}");
            }
            stop_or_status(action, &settings, &args.instance)
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // In the log when it is set up, and on standard error in any case.
            error!("{e:#}");
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
