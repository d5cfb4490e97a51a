//! `/functions` serves, for every implemented function, the reference's metadata (generated
//! from graphite-web 1.1.10 by scripts/gen-function-catalog.py), every function of every
//! group is implemented, and `/functions?type=pie` serves the pie functions.

use webapp::functions::{functions_view, implemented_names};
use webapp::params::Params;

fn catalog() -> serde_json::Value {
    serde_json::from_str(include_str!("../src/functions/catalog.json")).expect("catalog")
}

#[test]
fn every_function_is_served_with_its_metadata() {
    let catalog = catalog();
    let implemented = implemented_names();
    let mut checked = 0;
    for (name, info) in catalog["series"].as_object().expect("series") {
        let group = info["group"].as_str().expect("group");
        assert!(
            implemented.contains(&name.as_str()),
            "{name} ({group}) is not implemented"
        );
        let reply = functions_view(&Params::default(), "GET", Some(name));
        assert_eq!(reply.status, 200, "{name}");
        let text = String::from_utf8(reply.body).expect("utf-8");
        // The reference's encoder writes infinite defaults as 1e9999.
        let served: serde_json::Value =
            serde_json::from_str(&text.replace("1e9999", "\"__Infinity__\"")).expect("json");
        let mut expected = info.clone();
        expected
            .as_object_mut()
            .expect("object")
            .remove("aggregator");
        assert_eq!(served, expected, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 154, "every function of the reference's catalog");
}

#[test]
fn grouped_listing_has_the_groups() {
    let reply = functions_view(&Params::from_pairs([("grouped", "1")]), "GET", None);
    let text = String::from_utf8(reply.body)
        .expect("utf-8")
        .replace("1e9999", "null");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["Combine"].as_object().map(|o| o.len()), Some(36));
    assert_eq!(v["Transform"].as_object().map(|o| o.len()), Some(36));
    assert_eq!(v["Calculate"].as_object().map(|o| o.len()), Some(16));
    for (group, count) in [
        ("Filter Series", 25),
        ("Filter Data", 4),
        ("Sorting", 5),
        ("Alias", 9),
        ("Graph", 10),
        ("Special", 13),
    ] {
        assert_eq!(
            v[group].as_object().map(|o| o.len()),
            Some(count),
            "{group}"
        );
    }
    let reply = functions_view(&Params::from_pairs([("group", "Calculate")]), "GET", None);
    let v: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(v.as_object().map(|o| o.len()), Some(16));
}

#[test]
fn pie_functions_are_served_with_type_pie() {
    let catalog = catalog();
    let reply = functions_view(&Params::from_pairs([("type", "pie")]), "GET", None);
    assert_eq!(reply.status, 200);
    let served: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    let served = served.as_object().expect("object");
    let expected = catalog["pie"].as_object().expect("pie section");
    assert_eq!(served.len(), 3);
    for (name, info) in expected {
        let mut info = info.clone();
        info.as_object_mut().expect("object").remove("aggregator");
        assert_eq!(served.get(name), Some(&info), "{name}");
    }
}
