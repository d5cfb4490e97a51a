//! The `/render` glue for images: from the evaluated series (or a pie's slice values) and the
//! request's parameters to the image bytes and content type, as graphite-web 1.1.10's
//! `renderView`/`renderViewGraph`/`doImageRender` do.
//!
//! * The output format is `outputFormat` when given (any case: `setupCairo` lowers it),
//!   otherwise `format` (`svg`, `pdf`, anything else `png`). The content type compares the
//!   option *as given*, as the reference does: `application/x-pdf` for `pdf`, `image/svg+xml`
//!   for `svg`, and `image/png` for everything else, so `outputFormat=SVG` is an SVG body
//!   labelled `image/png`, exactly like the reference.
//! * `svg` with `jsonp` fails in the reference on Python 3 (`json.dumps` of bytes): a 500.
//! * Pie data: `name:value` targets are literals; every other target is evaluated on its
//!   own and each resulting series becomes a slice valued by `pieMode` (`or 0`).
//! * Size: `width * height` above `MAX_IMAGE_PIXELS` (ours, default 16,777,216 = 4096²) is a
//!   400, checked before the targets are evaluated, so no request allocates an unbounded
//!   raster. The reference has no such limit.
//! * Templates: `GRAPHTEMPLATES_CONF` is read for every graph, as the reference does.
//! * Every error the reference raises while drawing (`GraphError`, `ValueError`, ...) is a
//!   500, as there.

use crate::functions::pie::pie_function;
use crate::graph::canvas::recorder::Recorder;
use crate::graph::line::params::{
    GraphOptions, ParamValue, GRAPH_CUSTOMIZABLE, LINE_CUSTOMIZABLE, PIE_CUSTOMIZABLE,
};
use crate::graph::line::templates::Templates;
use crate::graph::line::{draw_line_graph, svg_metadata, GraphError, LineContext};
use crate::graph::pie::{self, draw_pie_graph};
use crate::params::Params;
use crate::series::TimeSeries;
use crate::settings::Settings;

/// `Content-Type` of a PNG graph.
pub const CONTENT_TYPE_PNG: &str = "image/png";
/// `Content-Type` of an SVG graph.
pub const CONTENT_TYPE_SVG: &str = "image/svg+xml";
/// `Content-Type` of a PDF graph (the reference's non-standard type).
pub const CONTENT_TYPE_PDF: &str = "application/x-pdf";

/// What an image request needs besides its data.
#[derive(Debug)]
pub struct ImageRequest<'a> {
    /// The request's parameters (the graph options are read from them).
    pub params: &'a Params,
    /// `requestOptions['format']` (`format`, or the legacy `pickle`/`rawData` switches).
    pub format: Option<&'a str>,
    /// `jsonp`, read only when `format` is given.
    pub jsonp: Option<&'a str>,
    /// The server's settings (`MAX_IMAGE_PIXELS`, `LEGEND_MAX_ITEMS`, `DATE_FORMAT`).
    pub settings: &'a Settings,
}

/// The data of one graph.
#[derive(Debug)]
pub enum GraphData {
    /// A line graph's series.
    Line(Vec<TimeSeries>),
    /// A pie graph's `(name, value)` slices.
    Pie(Vec<(String, f64)>),
}

/// A rendered image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The bytes.
    pub body: Vec<u8>,
    /// The `Content-Type`.
    pub content_type: &'static str,
}

/// Why no image was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// A request we refuse (ours: above `MAX_IMAGE_PIXELS`): a 400.
    #[error("{0}")]
    BadRequest(String),
    /// What the reference fails on while drawing: a 500.
    #[error("{0}")]
    Failed(String),
}

/// Why a pie's data could not be built.
#[derive(Debug)]
pub enum PieDataError<E> {
    /// Evaluating a target failed (the caller's error, e.g. a 400 reply).
    Eval(E),
    /// The reference raises here (a 500): an invalid `name:value` literal, an unknown
    /// `pieMode`.
    Failed(String),
}

/// views.py's pie data: for each target in order, a `name:value` literal (split at the first
/// `:`; the value must be a float) or, for any other non-blank target, one slice per series
/// `evaluate(target)` returns, valued by the `pie_mode` function (`or 0`).
pub fn pie_data<E>(
    targets: &[String],
    pie_mode: &str,
    evaluate: &mut dyn FnMut(&str) -> Result<Vec<TimeSeries>, E>,
) -> Result<Vec<(String, f64)>, PieDataError<E>> {
    let mut data = Vec::new();
    for target in targets {
        if let Some(literal) = pie::literal_target(target) {
            data.push(literal.map_err(|m| PieDataError::Failed(format!("ValueError: {m}")))?);
            continue;
        }
        if target.trim().is_empty() {
            continue;
        }
        let series = evaluate(target).map_err(PieDataError::Eval)?;
        for s in &series {
            let func = pie_function(pie_mode).ok_or_else(|| {
                PieDataError::Failed(format!("KeyError: 'Function \"{pie_mode}\" not found'"))
            })?;
            data.push((s.name.clone(), pie::slice_value(s, func)));
        }
    }
    Ok(data)
}

/// The content type `renderViewGraph` labels an image with: it compares `outputFormat` as
/// given (before `setupCairo` lowers it).
fn content_type(options: &GraphOptions) -> &'static str {
    match options.get("outputFormat") {
        Some(ParamValue::Str(s)) if s == "pdf" => CONTENT_TYPE_PDF,
        Some(ParamValue::Str(s)) if s == "svg" => CONTENT_TYPE_SVG,
        _ => CONTENT_TYPE_PNG,
    }
}

/// A drawing error: a 500, as the reference answers it.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(failed)`
fn failed(e: GraphError) -> ImageError {
    ImageError::Failed(e.to_string())
}

/// The options of the graph type, as `parseOptions` builds `graphOptions`.
pub fn graph_options(params: &Params, format: Option<&str>, pie: bool) -> GraphOptions {
    let extra = if pie {
        PIE_CUSTOMIZABLE
    } else {
        LINE_CUSTOMIZABLE
    };
    let all: Vec<&str> = GRAPH_CUSTOMIZABLE.iter().chain(extra).copied().collect();
    GraphOptions::parse(params, &all, format)
}

/// `loadTemplate`'s `conf.read(GRAPHTEMPLATES_CONF)`: read for every graph (so edits apply
/// at once, as in the reference); a file that cannot be opened means the built-in defaults,
/// one that does not parse fails the graph.
fn load_templates(path: &std::path::Path) -> Result<Templates, ImageError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| {
                ImageError::Failed(format!("UnicodeDecodeError: {}", path.display()))
            })?;
            Templates::from_conf(&text).map_err(failed)
        }
        Err(_) => Ok(Templates::builtin()),
    }
}

/// Checks the requested size against `MAX_IMAGE_PIXELS` (ours) before anything is
/// allocated; sizes cairo rejects are left to [`GraphOptions::image_size`] (a 500, as in the
/// reference).
fn check_pixels(options: &GraphOptions, max_pixels: usize) -> Result<(), ImageError> {
    let get = |name: &str| options.get(name).map_or(Ok(200), ParamValue::to_int);
    let (Ok(w), Ok(h)) = (get("width"), get("height")) else {
        return Ok(());
    };
    if w > 0 && h > 0 && (w as u128) * (h as u128) > max_pixels as u128 {
        return Err(ImageError::BadRequest(format!(
            "the image would be {w}x{h} pixels, more than MAX_IMAGE_PIXELS ({max_pixels})"
        )));
    }
    Ok(())
}

/// The size check of [`render_image`], for the view to make before it evaluates the
/// targets: an image that will be refused should not cost a fetch.
pub fn check_image_size(request: &ImageRequest<'_>, pie: bool) -> Result<(), ImageError> {
    let options = graph_options(request.params, request.format, pie);
    check_pixels(&options, request.settings.max_image_pixels)
}

/// Renders the graph `request` asks for over `data`: the image bytes and content type.
pub fn render_image(request: &ImageRequest<'_>, data: GraphData) -> Result<Image, ImageError> {
    let is_pie = matches!(data, GraphData::Pie(_));
    let options = graph_options(request.params, request.format, is_pie);
    check_pixels(&options, request.settings.max_image_pixels)?;
    let format = options.output_format().map_err(failed)?;
    let (width, height) = options.image_size().map_err(failed)?;
    let content_type = content_type(&options);
    let mut canvas = if format == "png" {
        Recorder::new(width, height)
    } else {
        Recorder::for_vector(width, height)
    };
    let templates = load_templates(&request.settings.graph_templates_conf)?;
    // `json.dumps(metaData)` for the SVG, when the graph counts as having data there.
    let metadata = match data {
        GraphData::Pie(slices) => {
            let name = match options.get("template") {
                Some(v) => v.to_py_str(),
                None => "default".to_owned(),
            };
            let template = templates.resolve(&name).map_err(failed)?;
            draw_pie_graph(&mut canvas, &options, &template, &slices).map_err(failed)?;
            // A pie has no `startTime`: its SVG metadata is `{}`, without header groups.
            None
        }
        GraphData::Line(series) => {
            let ctx = LineContext {
                time_zone: request.settings.time_zone,
                date_format: &request.settings.date_format,
                legend_max_items: request.settings.legend_max_items,
                templates: &templates,
            };
            let layout = draw_line_graph(&mut canvas, &series, &options, &ctx).map_err(failed)?;
            (!layout.no_data).then(|| svg_metadata(&layout))
        }
    };
    if format == "svg" && request.jsonp.is_some() {
        // `json.dumps(image)` of bytes, on Python 3.
        return Err(ImageError::Failed(
            "TypeError: Object of type bytes is not JSON serializable (svg with jsonp)".into(),
        ));
    }
    let body = encode(&canvas, &format, metadata.as_deref())?;
    Ok(Image { body, content_type })
}

/// Writes the drawing with the backend of `format`.
fn encode(canvas: &Recorder, format: &str, metadata: Option<&str>) -> Result<Vec<u8>, ImageError> {
    match format {
        "svg" => Ok(crate::graph::svg::render_svg(canvas, metadata)),
        "pdf" => Ok(crate::graph::pdf::render_pdf(canvas)),
        _ => crate::graph::raster::render_png(canvas)
            .map_err(|e| ImageError::Failed(format!("png: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(query: &str, format: Option<&str>, pie: bool) -> GraphOptions {
        graph_options(&Params::from_query_and_form(Some(query), None), format, pie)
    }

    #[test]
    fn content_type_compares_the_option_as_given() {
        assert_eq!(content_type(&options("", None, false)), CONTENT_TYPE_PNG);
        assert_eq!(
            content_type(&options("", Some("svg"), false)),
            CONTENT_TYPE_SVG
        );
        assert_eq!(
            content_type(&options("", Some("pdf"), true)),
            CONTENT_TYPE_PDF
        );
        assert_eq!(
            content_type(&options("", Some("json"), true)),
            CONTENT_TYPE_PNG
        );
        // outputFormat wins over format, and is compared before setupCairo lowers it.
        assert_eq!(
            content_type(&options("outputFormat=svg", Some("pdf"), false)),
            CONTENT_TYPE_SVG
        );
        assert_eq!(
            content_type(&options("outputFormat=SVG", None, false)),
            CONTENT_TYPE_PNG
        );
    }

    #[test]
    fn pixel_cap() {
        let cap = |q: &str| check_pixels(&options(q, None, false), 1000);
        assert!(cap("width=10&height=100").is_ok());
        assert!(matches!(
            cap("width=11&height=100"),
            Err(ImageError::BadRequest(m)) if m.contains("MAX_IMAGE_PIXELS")
        ));
        // Sizes cairo refuses, and non-numbers, are left to the drawing's own errors.
        assert!(cap("width=-5&height=100000").is_ok());
        assert!(cap("width=abc").is_ok());
        assert!(cap("width=99999999999999999999&height=2").is_err());
    }

    #[test]
    fn pie_data_follows_views_py() {
        let targets: Vec<String> = ["a:1", "", "x.*", "b:2.5", "none"]
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        let mut calls = Vec::new();
        let mut evaluate = |t: &str| -> Result<Vec<TimeSeries>, ()> {
            calls.push(t.to_owned());
            Ok(match t {
                "x.*" => vec![
                    TimeSeries::new("x.1", 0, 30, 10, vec![Some(1.0), Some(3.0), None], 0.0),
                    TimeSeries::new("x.2", 0, 30, 10, vec![None, None, None], 0.0),
                ],
                _ => Vec::new(),
            })
        };
        let data = pie_data(&targets, "average", &mut evaluate).ok();
        assert_eq!(
            data,
            Some(vec![
                ("a".to_owned(), 1.0),
                ("x.1".to_owned(), 2.0),
                ("x.2".to_owned(), 0.0),
                ("b".to_owned(), 2.5),
            ])
        );
        assert_eq!(calls, ["x.*", "none"]);
        let mut evaluate = |_: &str| -> Result<Vec<TimeSeries>, ()> {
            Ok(vec![TimeSeries::new("x", 0, 10, 10, vec![Some(1.0)], 0.0)])
        };
        assert!(matches!(
            pie_data(&["x".to_owned()], "median", &mut evaluate),
            Err(PieDataError::Failed(m)) if m.contains("KeyError")
        ));
        assert!(matches!(
            pie_data(&["a:b".to_owned()], "average", &mut evaluate),
            Err(PieDataError::Failed(m)) if m.contains("Invalid target 'a:b'")
        ));
        let mut failing = |_: &str| -> Result<Vec<TimeSeries>, &str> { Err("bad") };
        assert!(matches!(
            pie_data(&["x".to_owned()], "average", &mut failing),
            Err(PieDataError::Eval("bad"))
        ));
    }
}
