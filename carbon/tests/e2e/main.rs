//! End-to-end tests of carbon-cache (issue 3, acceptance points 1 to 3, and the daemon's
//! surroundings: log files, USER, white/blacklists, an https GRAPHITE_URL): each test starts the
//! real binary with its own temp dir (configs and storage) and free ports, talks to it over
//! TCP, UDP and the cache query port (with the Python reference's clients where the point is
//! interoperability), and checks the whisper files it writes.

mod bad_input;
mod ingest;
mod lists;
mod logs;
mod no_loss;
mod reload;
mod tls;
mod user;
mod util;
