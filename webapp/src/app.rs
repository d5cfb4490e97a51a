//! The HTTP server: graphite-web 1.1.10's URL layout on axum, and the `/render` view.
//!
//! Every view is a plain function from [`Params`] to a [`Reply`]; the handlers here merge
//! the query string with a form body (as Django's `request.GET.copy().update(request.POST)`),
//! run the view off the async runtime when it touches the disk, and turn the reply into a
//! response. Errors caused by the request are 400s with the reference's wording; anything
//! else is a 500 whose body says only that the server failed (details go to the log).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use chrono::TimeZone;
use indexmap::IndexMap;

use crate::attime::{parse_at_time, parse_tz};
use crate::carbonlink::{CarbonLink, CarbonLinkConfig};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Storage};
use crate::find_output::ViewContext;
use crate::finder::Finder;
use crate::grammar::parse_target;
use crate::graph::render::{
    check_image_size, pie_data, render_image, GraphData, ImageError, ImageRequest, PieDataError,
};
use crate::output::{render_data, Format, OutputOptions};
use crate::params::{Params, Reply};
use crate::series::TimeSeries;
use crate::settings::Settings;
use crate::tags::{TagDb, TagDbConfig};

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The settings the server started with.
    pub settings: Settings,
    /// The whisper tree index.
    pub finder: Arc<Finder>,
    /// The carbon-cache query client.
    pub carbonlink: CarbonLink,
    /// The runtime, for blocking code that needs to await the carbonlink client.
    pub runtime: tokio::runtime::Handle,
    /// The tag database.
    pub tagdb: Arc<TagDb>,
}

impl AppState {
    /// The finder and cache client for `settings`. Must be called inside the runtime.
    pub fn new(settings: Settings, runtime: tokio::runtime::Handle) -> Result<Self, StartError> {
        let finder = Arc::new(Finder::new(settings.standard_dirs.clone()));
        let hashing_type = settings.carbonlink_hashing_type.parse().unwrap_or_default();
        let carbonlink = CarbonLink::new(&CarbonLinkConfig {
            hosts: settings.carbonlink_hosts.clone(),
            timeout: Duration::from_secs_f64(settings.carbonlink_timeout_secs.max(0.001)),
            retry_delay: Duration::from_secs_f64(settings.carbonlink_retry_delay_secs.max(0.0)),
            hashing_type,
            replication_factor: settings.replication_factor,
            metric_prefix: settings.carbon_metric_prefix.clone(),
        })?;
        let tagdb_config = if settings.tagdb.is_empty() {
            TagDbConfig::Disabled
        } else {
            TagDbConfig::Local(settings.tagdb_file.clone())
        };
        let tagdb = Arc::new(
            TagDb::open(&tagdb_config, settings.tagdb_autocomplete_limit).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the tag database is unavailable: /tags and seriesByTag fail until it is fixed (set STORAGE_DIR, or TAGDB = '' for none)");
                TagDb::unavailable(e.to_string())
            }),
        );
        // Series with readable `_tagged/` file names join the index in the background.
        for dir in &settings.standard_dirs {
            let (tagdb, dir) = (tagdb.clone(), dir.clone());
            std::thread::spawn(move || match tagdb.add_from_tree(&dir) {
                Ok(0) => {}
                Ok(added) => {
                    tracing::info!(added, dir = %dir.display(), "tagged series found on disk")
                }
                Err(e) => tracing::warn!(error = %e, "tagged series on disk not registered"),
            });
        }
        Ok(Self {
            settings,
            finder,
            carbonlink,
            runtime,
            tagdb,
        })
    }

    /// The [`Storage`] renders read from: the finder's leaves, whisper and carbon-cache.
    pub fn storage(&self) -> impl Storage + '_ {
        ServerStorage { state: self }
    }

    fn view_context<'a>(&'a self, accept: Option<&'a str>) -> ViewContext<'a> {
        ViewContext {
            finder: &self.finder,
            time_zone: self.settings.time_zone,
            now: now_epoch_f64(),
            accept,
            find_failure_threshold: self.settings.metrics_find_failure_threshold,
        }
    }
}

/// The router for `state`, with every path under `URL_PREFIX`.
pub fn router(state: &Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/render", any(render_handler))
        .route("/render/", any(render_handler))
        .route("/metrics", any(find_handler))
        .route("/metrics/", any(find_handler))
        .route("/metrics/find", any(find_handler))
        .route("/metrics/find/", any(find_handler))
        .route("/metrics/expand", any(expand_handler))
        .route("/metrics/expand/", any(expand_handler))
        .route("/metrics/index.json", any(index_handler))
        .route("/functions", any(functions_handler))
        .route("/functions/", any(functions_handler))
        .route("/functions/{name}", any(function_handler))
        .route("/functions/{name}/", any(function_handler))
        .route("/tags", any(tags_handler))
        .route("/tags/", any(tags_handler))
        .route("/tags/{*rest}", any(tags_handler))
        .route("/version", any(version_handler))
        .route("/version/", any(version_handler))
        .with_state(state.clone());
    if state.settings.url_prefix.is_empty() {
        routes
    } else {
        Router::new().nest(&format!("/{}", state.settings.url_prefix), routes)
    }
}

/// Merges the query string with a form-encoded body.
fn params_of(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Params {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    Params::from_query_and_form(uri.query(), is_form.then_some(body.as_ref()))
}

fn accept_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn into_response(reply: Reply) -> Response {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(&reply.content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// A 500 that says nothing about the cause (which is logged).
fn internal_error(context: &str, error: &dyn std::fmt::Display) -> Reply {
    tracing::error!(%error, "{context}");
    Reply::with_status(500, "text/plain; charset=utf-8", "Internal server error\n")
}

/// Runs a blocking view on the blocking pool; a panic in it becomes a 500.
async fn blocking<F>(context: &'static str, view: F) -> Response
where
    F: FnOnce() -> Reply + Send + 'static,
{
    match tokio::task::spawn_blocking(view).await {
        Ok(reply) => into_response(reply),
        Err(e) => into_response(internal_error(context, &e)),
    }
}

async fn render_handler(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params_of(&uri, &headers, &body);
    blocking("render failed", move || {
        render_view(&state, &params, SystemTime::now())
    })
    .await
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The carbonlink settings are unusable.
    #[error(transparent)]
    CarbonLink(#[from] crate::carbonlink::CarbonLinkError),
}

async fn tags_handler(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let prefix = if state.settings.url_prefix.is_empty() {
        "/tags".to_owned()
    } else {
        format!("/{}/tags", state.settings.url_prefix)
    };
    let raw = uri.path().strip_prefix(prefix.as_str()).unwrap_or_default();
    let sub = percent_decode(raw.strip_prefix('/').unwrap_or(raw));
    let get = Params::from_query_and_form(uri.query(), None);
    let params = params_of(&uri, &headers, &body);
    let method = method.as_str().to_owned();
    blocking("tags failed", move || {
        crate::tags::views::tags_view(&state.tagdb, &method, &sub, &get, &params)
    })
    .await
}

/// Decodes `%XX` escapes of a URL path (as Django's `PATH_INFO`), invalid UTF-8 replaced.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `/metrics/*` view: parameters and the request's context to a reply.
type MetricsView = fn(&Params, &ViewContext<'_>) -> Reply;

/// Runs a `/metrics/*` view off the runtime (it reads the disk).
async fn metrics_view(
    state: Arc<AppState>,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    context: &'static str,
    view: MetricsView,
) -> Response {
    let params = params_of(uri, headers, body);
    let accept = accept_of(headers);
    blocking(context, move || {
        view(&params, &state.view_context(accept.as_deref()))
    })
    .await
}

async fn find_handler(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let view: MetricsView = crate::find_output::find_view;
    metrics_view(state, &uri, &headers, &body, "find failed", view).await
}

async fn expand_handler(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let view: MetricsView = crate::find_output::expand_view;
    metrics_view(state, &uri, &headers, &body, "expand failed", view).await
}

async fn index_handler(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let view: MetricsView = crate::find_output::index_view;
    metrics_view(state, &uri, &headers, &body, "index failed", view).await
}

async fn functions_handler(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let params = params_of(&uri, &headers, &body);
    into_response(crate::functions::functions_view(
        &params,
        method.as_str(),
        None,
    ))
}

async fn function_handler(
    method: Method,
    UrlPath(name): UrlPath<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params_of(&uri, &headers, &body);
    into_response(crate::functions::functions_view(
        &params,
        method.as_str(),
        Some(&name),
    ))
}

/// `/version`: the reference's version, so clients such as Grafana enable their 1.1 features.
async fn version_handler() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "1.1.10\n",
    )
}

fn now_epoch_f64() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A bad request, worded as the reference's `InputParameterError`.
fn bad_request(message: &str, targets: &[String], function: Option<&str>) -> Reply {
    let mut text = format!("Invalid parameters ({message})");
    if !targets.is_empty() {
        text.push_str(&format!("; targets: \"{}\"", targets.join(", ")));
    }
    if let Some(function) = function {
        text.push_str(&format!("; func: \"{function}\""));
    }
    Reply::with_status(400, "text/html; charset=utf-8", text)
}

/// The non-graphical options of one `/render` request (`parseOptions`).
#[derive(Debug)]
struct RenderRequest {
    targets: Vec<String>,
    format: Option<String>,
    jsonp: Option<String>,
    pretty: bool,
    no_cache: bool,
    cache_timeout_secs: i64,
    max_data_points: Option<u64>,
    no_null_points: bool,
    ctx: RequestContext,
}

fn parse_render_options(
    settings: &Settings,
    params: &Params,
    wall_clock: SystemTime,
) -> Result<RenderRequest, String> {
    let graph_type = params.get("graphType").unwrap_or("line");
    if graph_type != "line" && graph_type != "pie" {
        return Err(format!(
            "Invalid graphType '{graph_type}', must be one of ['line', 'pie']"
        ));
    }
    let mut cache_timeout_secs = match params.get("cacheTimeout") {
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{v}'"))?,
        None => settings.default_cache_duration_secs,
    };
    let mut targets: Vec<String> = params
        .get_all("target")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        targets = params
            .get_all("target[]")
            .into_iter()
            .map(str::to_owned)
            .collect();
    }
    let mut template = IndexMap::new();
    for (key, _) in params.pairs() {
        if let Some(name) = key
            .strip_prefix("template[")
            .and_then(|k| k.strip_suffix(']'))
        {
            if let Some(value) = params.get(key) {
                template.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    let mut format = None;
    if params.contains("pickle") {
        format = Some("pickle".to_owned());
    }
    if params.contains("rawData") {
        format = Some("raw".to_owned());
    }
    let mut jsonp = None;
    if let Some(f) = params.get("format") {
        format = Some(f.to_owned());
        jsonp = params.get("jsonp").map(str::to_owned);
    }
    let pretty = params.get("pretty").is_some_and(|v| !v.is_empty());
    let mut no_cache = params.contains("noCache");
    let max_data_points = params
        .get("maxDataPoints")
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        // Any run of digits counts; beyond u64 it is as good as infinite.
        .map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
    let no_null_points = params.contains("noNullPoints");
    let local_only = params.get("local") == Some("1");

    let tz = params
        .get("tz")
        .and_then(parse_tz)
        .unwrap_or(settings.time_zone);
    let wall = chrono::DateTime::<chrono::Utc>::from(wall_clock).with_timezone(&tz);
    let now = match params.get("now") {
        Some(v) => parse_at_time(v, tz, wall).map_err(|e| e.to_string())?,
        None => wall,
    };
    let until = match params.get("until") {
        Some(v) => parse_at_time(v, tz, now).map_err(|e| e.to_string())?,
        None => now,
    };
    let from = match params.get("from") {
        Some(v) => parse_at_time(v, tz, now).map_err(|e| e.to_string())?,
        None => parse_at_time("-1d", tz, now).map_err(|e| e.to_string())?,
    };
    let (start, end) = if from <= until {
        (from, until)
    } else {
        (until, from)
    };
    if start == end {
        return Err("Invalid empty time range".to_owned());
    }
    let range_secs = (end - start).num_seconds();
    if !settings.default_cache_policy.is_empty()
        && params.get("cacheTimeout").is_none_or(str::is_empty)
    {
        cache_timeout_secs = settings
            .default_cache_policy
            .iter()
            .filter(|(period, _)| *period <= range_secs)
            .map(|(_, timeout)| *timeout)
            .max()
            .unwrap_or(0);
    }
    if cache_timeout_secs == 0 {
        no_cache = true;
    }
    let x_files_factor = match params.get("xFilesFactor") {
        Some(v) => v
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("could not convert string to float: '{v}'"))?,
        None => settings.default_xfiles_factor,
    };
    Ok(RenderRequest {
        ctx: RequestContext {
            start: start.timestamp(),
            end: end.timestamp(),
            now: now.timestamp(),
            tz,
            x_files_factor: Cell::new(x_files_factor),
            template,
            local_only,
            max_data_points,
            targets: targets.clone(),
        },
        targets,
        format,
        jsonp,
        pretty,
        no_cache,
        cache_timeout_secs,
        max_data_points,
        no_null_points,
    })
}

/// `/render`.
pub fn render_view(state: &AppState, params: &Params, wall_clock: SystemTime) -> Reply {
    let request = match parse_render_options(&state.settings, params, wall_clock) {
        Ok(r) => r,
        Err(message) => return bad_request(&message, &[], None),
    };
    if request.targets.len() > state.settings.max_targets_per_request {
        return bad_request(
            &format!(
                "{} targets, more than MAX_TARGETS_PER_REQUEST ({})",
                request.targets.len(),
                state.settings.max_targets_per_request
            ),
            &[],
            None,
        );
    }
    let format = match request.format.as_deref() {
        Some("json") => Some(Format::Json),
        Some("csv") => Some(Format::Csv),
        Some("raw") => Some(Format::Raw),
        Some("pickle") => Some(Format::Pickle),
        Some("msgpack") => Some(Format::Msgpack),
        Some("dygraph") => Some(Format::Dygraph),
        Some("rickshaw") => Some(Format::Rickshaw),
        _ => None,
    };
    let is_pie = params.get("graphType") == Some("pie");
    let mut exprs = Vec::with_capacity(request.targets.len());
    for target in &request.targets {
        // A pie's targets are parsed one by one as its data is built (`name:value` ones are
        // literals, not expressions).
        if target.trim().is_empty() || is_pie {
            continue;
        }
        match parse_target(target) {
            Ok(expr) => exprs.push(expr),
            Err(e) => return bad_request(&e.to_string(), &request.targets, None),
        }
    }
    let storage = ServerStorage { state };
    let mut evaluator = Evaluator::new(
        &storage,
        state.settings.enforce_input_validation,
        state.settings.max_series_per_request,
    );
    let eval_error = |e: EvalError| match e {
        EvalError::InputParameter { message, function } => {
            bad_request(&message, &request.targets, function.as_deref())
        }
        EvalError::Limit(message) => bad_request(&message, &request.targets, None),
        e @ EvalError::Storage(_) => internal_error("render failed", &e),
    };
    // Every pie, and png (the default), svg and pdf: an image.
    let Some(format) = format.filter(|_| !is_pie) else {
        let image_request = ImageRequest {
            params,
            format: request.format.as_deref(),
            jsonp: request.jsonp.as_deref(),
            settings: &state.settings,
        };
        if let Err(ImageError::BadRequest(message)) = check_image_size(&image_request, is_pie) {
            return bad_request(&message, &request.targets, None);
        }
        let data = if is_pie {
            let pie_mode = params.get("pieMode").unwrap_or("average");
            let mut evaluate = |target: &str| match parse_target(target) {
                Ok(expr) => evaluator
                    .evaluate_targets(&request.ctx, std::slice::from_ref(&expr))
                    .map_err(eval_error),
                Err(e) => Err(bad_request(&e.to_string(), &request.targets, None)),
            };
            match pie_data(&request.targets, pie_mode, &mut evaluate) {
                Ok(data) => GraphData::Pie(data),
                Err(PieDataError::Eval(reply)) => return reply,
                Err(PieDataError::Failed(message)) => {
                    return internal_error("pie data failed", &message)
                }
            }
        } else {
            match evaluator.evaluate_targets(&request.ctx, &exprs) {
                Ok(series) => GraphData::Line(series),
                Err(e) => return eval_error(e),
            }
        };
        let reply = match render_image(&image_request, data) {
            Ok(image) => Reply::ok(image.content_type, image.body),
            Err(ImageError::BadRequest(message)) => {
                return bad_request(&message, &request.targets, None)
            }
            Err(ImageError::Failed(message)) => {
                return internal_error("render image failed", &message)
            }
        };
        return with_cache_headers(
            reply,
            request.no_cache,
            request.cache_timeout_secs,
            wall_clock,
        );
    };

    let mut series = match evaluator.evaluate_targets(&request.ctx, &exprs) {
        Ok(series) => series,
        Err(e) => return eval_error(e),
    };
    let options = OutputOptions {
        format,
        jsonp: request.jsonp.clone(),
        max_data_points: request.max_data_points,
        no_null_points: request.no_null_points,
        pretty: request.pretty,
        tz: request.ctx.tz,
    };
    let reply = match render_data(&mut series, &options) {
        Ok(reply) => reply,
        Err(e) => return internal_error("render output failed", &e),
    };
    with_cache_headers(
        reply,
        request.no_cache,
        request.cache_timeout_secs,
        wall_clock,
    )
}

/// Django's `patch_response_headers` / `add_never_cache_headers`.
fn with_cache_headers(reply: Reply, no_cache: bool, timeout_secs: i64, now: SystemTime) -> Reply {
    if no_cache {
        reply.header("Expires", http_date(now)).header(
            "Cache-Control",
            "max-age=0, no-cache, no-store, must-revalidate, private",
        )
    } else {
        let timeout = timeout_secs.max(0);
        reply
            .header(
                "Expires",
                http_date(now + Duration::from_secs(timeout as u64)),
            )
            .header("Cache-Control", format!("max-age={timeout}"))
    }
}

/// An RFC 7231 date (`Wed, 25 Nov 2026 21:52:00 GMT`).
fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::Utc
        .timestamp_opt(secs, 0)
        .single()
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// The server's [`Storage`]: the finder's leaves read from whisper, with carbon-cache's
/// unflushed points laid over them.
struct ServerStorage<'a> {
    state: &'a AppState,
}

impl Storage for ServerStorage<'_> {
    fn fetch(
        &self,
        path_expressions: &[String],
        start: i64,
        end: i64,
        now: i64,
        x_files_factor: f64,
    ) -> Result<HashMap<String, Vec<TimeSeries>>, EvalError> {
        crate::store::fetch_series(
            &self.state.finder,
            &self.state.tagdb,
            &self.state.carbonlink,
            &self.state.runtime,
            path_expressions,
            start,
            end,
            now,
            x_files_factor,
        )
    }
}
