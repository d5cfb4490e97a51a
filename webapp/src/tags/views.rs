//! The `/tags/...` endpoints, as graphite-web 1.1.10's `tags/views.py`: JSON answers (pretty
//! with `pretty=1`), errors as `{"error": "..."}`, POST-only registration.

use serde_json::{json, Value};

use super::{TagDb, TagError};
use crate::params::{Params, Reply};

/// Django's content type for a bare `HttpResponse(status=405)`.
const HTML: &str = "text/html; charset=utf-8";

/// A JSON answer as the reference's `jsonResponse` writes it.
fn json_reply(status: u16, value: &Value, params: &Params) -> Reply {
    let pretty = params.get("pretty").is_some_and(|p| !p.is_empty());
    let body = crate::pyjson::dumps(value, pretty.then_some(2), pretty);
    Reply::with_status(status, "application/json", body)
}

fn error_reply(message: &str, status: u16, params: &Params) -> Reply {
    json_reply(status, &json!({ "error": message }), params)
}

fn from_result(result: Result<Value, TagError>, params: &Params) -> Reply {
    match result {
        Ok(value) => json_reply(200, &value, params),
        Err(e) => error_reply(&e.to_string(), e.status(), params),
    }
}

fn method_not_allowed() -> Reply {
    Reply::with_status(405, HTML, "")
}

/// `key` values, or `key[]` values when there are none (the jQuery/PHP spelling).
fn list_param<'a>(params: &'a Params, key: &str) -> Vec<&'a str> {
    let values = params.get_all(key);
    if values.is_empty() {
        params.get_all(&format!("{key}[]"))
    } else {
        values
    }
}

/// One `/tags/...` request: `sub` is the path after `/tags` (`""`, `"tagSeries"`, a tag name,
/// ...), `get` the query string alone (views that read `request.GET`), `params` the query
/// string and form merged.
pub fn tags_view(db: &TagDb, method: &str, sub: &str, get: &Params, params: &Params) -> Reply {
    // The reference builds no parameters at all for other methods.
    let empty = Params::default();
    let params = match method {
        "GET" | "POST" => params,
        _ => &empty,
    };
    match sub {
        "" => {
            if method != "GET" {
                return method_not_allowed();
            }
            let result = db
                .list_tags(get.get("filter"), get.get("limit"))
                .map(|tags| {
                    Value::Array(
                        tags.into_iter()
                            .map(|t| json!({ "id": t.id, "tag": t.tag }))
                            .collect(),
                    )
                });
            from_result(result, params)
        }
        "tagSeries" => {
            if method != "POST" {
                return method_not_allowed();
            }
            let Some(path) = params.get("path").filter(|p| !p.is_empty()) else {
                return error_reply("no path specified", 400, params);
            };
            let result = db
                .tag_multi_series(&[path])
                .map(|mut paths| Value::String(paths.pop().unwrap_or_default()));
            from_result(result, params)
        }
        "tagMultiSeries" | "delSeries" => {
            if method != "POST" {
                return method_not_allowed();
            }
            let paths = list_param(params, "path");
            if paths.is_empty() {
                let message = if sub == "delSeries" {
                    "no path specified"
                } else {
                    "no paths specified"
                };
                return error_reply(message, 400, params);
            }
            let result = if sub == "delSeries" {
                db.del_multi_series(&paths).map(|()| Value::Bool(true))
            } else {
                db.tag_multi_series(&paths)
                    .map(|paths| Value::Array(paths.into_iter().map(Value::String).collect()))
            };
            from_result(result, params)
        }
        "findSeries" => {
            if method != "GET" && method != "POST" {
                return method_not_allowed();
            }
            let exprs = list_param(params, "expr");
            if exprs.is_empty() {
                return error_reply("no tag expressions specified", 400, params);
            }
            let result = db
                .find_series(&exprs)
                .map(|paths| Value::Array(paths.into_iter().map(Value::String).collect()));
            from_result(result, params)
        }
        "autoComplete/tags" => {
            if method != "GET" && method != "POST" {
                return method_not_allowed();
            }
            let exprs = list_param(params, "expr");
            let result = db
                .auto_complete_tags(&exprs, params.get("tagPrefix"), params.get("limit"))
                .map(|tags| Value::Array(tags.into_iter().map(Value::String).collect()));
            from_result(result, params)
        }
        "autoComplete/values" => {
            if method != "GET" && method != "POST" {
                return method_not_allowed();
            }
            let exprs = list_param(params, "expr");
            let Some(tag) = params.get("tag").filter(|t| !t.is_empty()) else {
                return error_reply("no tag specified", 400, params);
            };
            let result = db
                .auto_complete_values(&exprs, tag, params.get("valuePrefix"), params.get("limit"))
                .map(|values| Value::Array(values.into_iter().map(Value::String).collect()));
            from_result(result, params)
        }
        tag => {
            if method != "GET" {
                return method_not_allowed();
            }
            let result = db
                .get_tag(tag, params.get("filter"), params.get("limit"))
                .map(|found| match found {
                    None => Value::Null,
                    Some((info, values)) => json!({
                        "id": info.id,
                        "tag": info.tag,
                        "values": values
                            .into_iter()
                            .map(|v| json!({ "id": v.id, "value": v.value, "count": v.count }))
                            .collect::<Vec<_>>(),
                    }),
                });
            from_result(result, params)
        }
    }
}
