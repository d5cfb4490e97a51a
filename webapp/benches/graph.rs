//! Graph images rendered in-process (no HTTP, no whisper): the glue of `/render` from the
//! series to the encoded image, for the two image cases of bench/webapp_vs_reference.py:
//!
//! - `png_1_series`: one day of one-minute points (a sawtooth like `bench.host000.metric000`)
//!   at the default 330x250;
//! - `png_10_series`: ten series of one day at 10 s (8,640 points each, noisy waves like
//!   `fn.host00.cpu0[0-9]`) at 800x600, where drawing the strokes dominates;
//! - `svg_10_series`: the same as SVG, which shares everything but the rasterizer.
//!
//! `cargo bench -p webapp --bench graph`

#![allow(missing_docs)] // criterion_group! defines an undocumented function.

use std::time::Duration;

use criterion::{black_box, criterion_group, Criterion};
use webapp::graph::render::{render_image, GraphData, ImageRequest};
use webapp::params::Params;
use webapp::series::TimeSeries;
use webapp::settings::{parse_file, Env, Settings};

const NOW: i64 = 1_700_006_400;
const DAY: i64 = 86_400;

fn settings() -> Settings {
    let assignments = parse_file("CARBONLINK_HOSTS = []\nTIME_ZONE = 'UTC'\n").expect("settings");
    Settings::derive(&assignments, &Env::default()).expect("settings")
}

/// A sawtooth of one-minute points with a gap now and then.
fn one_series() -> Vec<TimeSeries> {
    let n = DAY / 60;
    let values = (0..n)
        .map(|i| (i % 97 != 1).then_some(20.0 + (i % 23) as f64 * 4.625))
        .collect();
    vec![TimeSeries::new(
        "bench.host000.metric000",
        NOW - DAY,
        NOW,
        60,
        values,
        0.0,
    )]
}

/// Ten noisy waves of 10-second points.
fn ten_series() -> Vec<TimeSeries> {
    let n = DAY / 10;
    (0..10)
        .map(|m| {
            let values = (0..n)
                .map(|j| {
                    let wave = 20.0 * (((j * 7 + m * 3) % 360) as f64 - 180.0) / 180.0;
                    let noise = ((j as u64 * 2_654_435_761 + m as u64 * 40_503) % 1000) as f64;
                    Some(m as f64 * 0.37 + wave + noise / 100.0)
                })
                .collect();
            TimeSeries::new(
                format!("fn.host00.cpu0{m}"),
                NOW - DAY,
                NOW,
                10,
                values,
                0.0,
            )
        })
        .collect()
}

fn render(settings: &Settings, query: &str, format: &str, series: Vec<TimeSeries>) -> usize {
    let params = Params::from_query_and_form(Some(query), None);
    let request = ImageRequest {
        params: &params,
        format: Some(format),
        jsonp: None,
        settings,
    };
    render_image(&request, GraphData::Line(series))
        .expect("image")
        .body
        .len()
}

fn benches(c: &mut Criterion) {
    let settings = settings();
    let one = one_series();
    let ten = ten_series();
    let big = "width=800&height=600";
    let mut group = c.benchmark_group("graph");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("png_1_series", |b| {
        b.iter(|| black_box(render(&settings, "", "png", one.clone())))
    });
    group.bench_function("png_10_series", |b| {
        b.iter(|| black_box(render(&settings, big, "png", ten.clone())))
    });
    group.bench_function("svg_10_series", |b| {
        b.iter(|| black_box(render(&settings, big, "svg", ten.clone())))
    });
    group.finish();
}

criterion_group!(graph, benches);

fn main() {
    graph();
    Criterion::default().configure_from_args().final_summary();
}
