//! Tracing setup: JSON lines on Lambda (`AWS_LAMBDA_LOG_FORMAT=JSON`), readable text elsewhere.
//! Logs carry ids and outcomes only, never document contents, results, keys, secrets or signatures.
//!
//! The level comes from `RUST_LOG` (`info`, `warn,pagewire_extract=debug`: a default and per-target
//! levels), else from Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`. Per-target levels are all a function
//! needs: the fuller `EnvFilter` syntax (span and field matches) brings a regex engine into every binary.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init() {
    let filter = log_filter(
        std::env::var("RUST_LOG").ok().as_deref(),
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
    );
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let format = tracing_subscriber::fmt::layer().with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests, the dev server embedding several handlers) is harmless.
    let _ = if json {
        registry.with(format.json().without_time()).try_init()
    } else {
        registry.with(format).try_init()
    };
}

/// What to log, from `RUST_LOG` or Lambda's level; a value that does not parse means `info`.
fn log_filter(rust_log: Option<&str>, lambda_level: Option<&str>) -> Targets {
    let spec = match (rust_log, lambda_level) {
        (Some(spec), _) if !spec.trim().is_empty() => spec.trim().to_string(),
        // Lambda's levels are tracing's, plus FATAL, which tracing has no level above ERROR for.
        (_, Some(level)) if level.eq_ignore_ascii_case("fatal") => "error".to_string(),
        (_, Some(level)) if !level.trim().is_empty() => level.trim().to_string(),
        _ => "info".to_string(),
    };
    spec.parse()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn enabled(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn rust_log_sets_a_default_and_per_target_levels() {
        let filter = log_filter(Some("warn,pagewire_extract=debug"), Some("ERROR"));
        assert!(enabled(&filter, "pagewire_extract::ocr", Level::DEBUG));
        assert!(!enabled(&filter, "pagewire_extract::ocr", Level::TRACE));
        assert!(enabled(&filter, "aws_smithy_runtime", Level::WARN));
        assert!(!enabled(&filter, "aws_smithy_runtime", Level::INFO));
    }

    #[test]
    fn lambda_log_level_applies_without_rust_log() {
        let debug = log_filter(None, Some("DEBUG"));
        assert!(enabled(&debug, "process_document", Level::DEBUG));
        let fatal = log_filter(Some("  "), Some("FATAL"));
        assert!(enabled(&fatal, "process_document", Level::ERROR));
        assert!(!enabled(&fatal, "process_document", Level::WARN));
    }

    #[test]
    fn nothing_set_or_nonsense_means_info() {
        for filter in [
            log_filter(None, None),
            log_filter(Some("pagewire=[{loud}]"), None),
        ] {
            assert!(enabled(&filter, "submit_job", Level::INFO));
            assert!(!enabled(&filter, "submit_job", Level::DEBUG));
        }
    }
}
