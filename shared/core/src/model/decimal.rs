//! Coordinates and scores are kept as `f32`, but JSON numbers are read as `f64` on the way out by
//! `serde_json::Value` and by the stores' JSON: widened bit for bit, `0.05f32` prints as
//! `0.05000000074505806`. These serialize an `f32` as the `f64` nearest to its shortest decimal form, so a
//! value comes back as it was given.

use serde::Serializer;

/// The `f64` whose shortest decimal form is the `f32`'s (`0.05f32` -> `0.05f64`).
pub fn widen(value: f32) -> f64 {
    if !value.is_finite() {
        return f64::from(value);
    }
    // `Display` for floats prints the shortest text that reads back as the same `f32`.
    value
        .to_string()
        .parse()
        .unwrap_or_else(|_| f64::from(value))
}

pub fn serialize_f32<S: Serializer>(value: &f32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(widen(*value))
}

pub fn serialize_option_f32<S: Serializer>(
    value: &Option<f32>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.serialize_some(&widen(*v)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_form_survives_json() {
        #[derive(serde::Serialize)]
        struct Point {
            #[serde(serialize_with = "serialize_f32")]
            x: f32,
            #[serde(serialize_with = "serialize_option_f32")]
            score: Option<f32>,
        }
        let point = Point {
            x: 0.05,
            score: Some(0.1),
        };
        // Through a `Value`, where a plain `f32` would be widened bit for bit.
        let value = serde_json::to_value(&point).unwrap();
        assert_eq!(value.to_string(), r#"{"score":0.1,"x":0.05}"#);
        assert_eq!(
            serde_json::to_string(&point).unwrap(),
            r#"{"x":0.05,"score":0.1}"#
        );
        assert_eq!(widen(0.3333333), 0.3333333);
        assert_eq!(widen(1.0), 1.0);
        assert!(widen(f32::NAN).is_nan());
        assert_eq!(widen(f32::MAX) as f32, f32::MAX);
    }
}
