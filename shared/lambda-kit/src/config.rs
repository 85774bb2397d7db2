//! Configuration from environment variables: the only configuration source on Lambda.

use chrono::Duration as TimeSpan;
use pagewire_core::policy::endpoint_failures::DisableRule;
use pagewire_core::policy::rate_limit::RateLimit;
use pagewire_core::Settings;
use pagewire_extract::isolation::{ReadBudget, WorkerCommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

/// Every variable a pagewire function reads. The SAM template sets exactly these (a test checks it).
pub const KEYS: &[&str] = &[
    "PAGEWIRE_JOBS_TABLE",
    "PAGEWIRE_CONFIG_TABLE",
    "PAGEWIRE_BUCKET",
    "PAGEWIRE_DELIVERY_QUEUE_URL",
    "PAGEWIRE_OCR_MODEL_DIR",
    "PAGEWIRE_ONNXRUNTIME_LIB",
    "PAGEWIRE_RETENTION_HOURS",
    "PAGEWIRE_MAX_INLINE_BYTES",
    "PAGEWIRE_MAX_UPLOAD_BYTES",
    "PAGEWIRE_UPLOAD_URL_SECS",
    "PAGEWIRE_MAX_PDF_PAGES",
    "PAGEWIRE_ALLOW_HTTP_WEBHOOKS",
    "PAGEWIRE_ALLOW_PRIVATE_WEBHOOKS",
    "PAGEWIRE_WEBHOOK_TIMEOUT_SECS",
    "PAGEWIRE_DISABLE_AFTER_FAILURES",
    "PAGEWIRE_DISABLE_AFTER_HOURS",
    "PAGEWIRE_RATE_LIMIT_PER_SECOND",
    "PAGEWIRE_RATE_LIMIT_BURST",
    "PAGEWIRE_READ_WORKERS",
    "PAGEWIRE_READ_MEMORY_MB",
    "PAGEWIRE_READ_TIMEOUT_SECS",
    "PAGEWIRE_READ_CPU_SECS",
];

/// The AWS resources a function talks to. Each is optional here; the AWS wiring refuses to start
/// without the ones it needs, with the variable's name in the error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsResources {
    pub jobs_table: Option<String>,
    pub config_table: Option<String>,
    pub bucket: Option<String>,
    pub delivery_queue_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub resources: AwsResources,
    /// Where the OCR models (ONNX) are unpacked; without it, images and scanned pages cannot be read.
    pub ocr_model_dir: Option<PathBuf>,
    /// ONNX Runtime's library, which runs the OCR models when set; `None`: rten runs them.
    pub onnxruntime_lib: Option<PathBuf>,
    pub settings: Settings,
    pub read_isolation: ReadIsolation,
}

/// Where documents are read: in worker processes under a budget, or (no worker command, or no workers)
/// in this process.
#[derive(Debug, Clone)]
pub struct ReadIsolation {
    /// The most worker processes at once: as many as documents read at the same time.
    pub workers: usize,
    pub budget: ReadBudget,
    /// How to start a worker; set by the binaries that can run as one (see `read_worker`).
    pub worker: Option<WorkerCommand>,
}

/// The cores this process may use (at least one): the default of every "one per core" setting.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl ReadIsolation {
    /// Whether documents are read in worker processes.
    pub fn isolates(&self) -> bool {
        self.worker.is_some() && self.workers > 0
    }

    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cores = available_cores();
        let lambda_memory_mb = number(get, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0u64)?;
        let defaults = ReadBudget::default_for(Some(lambda_memory_mb).filter(|mb| *mb > 0), cores);
        let wall = Duration::from_secs(number(
            get,
            "PAGEWIRE_READ_TIMEOUT_SECS",
            defaults.wall.as_secs(),
        )?);
        let cpu_default = if get("PAGEWIRE_READ_TIMEOUT_SECS").is_some() {
            wall * cores as u32
        } else {
            defaults.cpu
        };
        Ok(Self {
            workers: number(get, "PAGEWIRE_READ_WORKERS", cores)?,
            budget: ReadBudget {
                memory_bytes: number(get, "PAGEWIRE_READ_MEMORY_MB", defaults.memory_mb())? << 20,
                wall,
                cpu: Duration::from_secs(number(
                    get,
                    "PAGEWIRE_READ_CPU_SECS",
                    cpu_default.as_secs(),
                )?),
            },
            worker: None,
        })
    }
}

/// The value of a required variable, or an error that names it.
pub fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, ConfigError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError {
            name,
            problem: "is not set".to_string(),
        })
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The same, reading from any source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = Settings::default();
        let resources = AwsResources {
            jobs_table: get("PAGEWIRE_JOBS_TABLE"),
            config_table: get("PAGEWIRE_CONFIG_TABLE"),
            bucket: get("PAGEWIRE_BUCKET"),
            delivery_queue_url: get("PAGEWIRE_DELIVERY_QUEUE_URL"),
        };
        let ocr_model_dir = get("PAGEWIRE_OCR_MODEL_DIR")
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from);
        // Named explicitly, or beside the models (where the Lambda layer carries it).
        let beside: Vec<PathBuf> = ocr_model_dir
            .iter()
            .map(|dir| pagewire_extract::onnxruntime::beside_models(dir))
            .collect();
        let onnxruntime_lib = pagewire_extract::onnxruntime::locate(
            get(pagewire_extract::onnxruntime::LIBRARY_VAR).as_deref(),
            &beside,
        )
        .ok();
        let settings = Settings {
            retention: TimeSpan::hours(number(&get, "PAGEWIRE_RETENTION_HOURS", 24)?),
            max_inline_file_bytes: number(
                &get,
                "PAGEWIRE_MAX_INLINE_BYTES",
                defaults.max_inline_file_bytes,
            )?,
            max_upload_file_bytes: number(
                &get,
                "PAGEWIRE_MAX_UPLOAD_BYTES",
                defaults.max_upload_file_bytes,
            )?,
            upload_url_ttl: TimeSpan::seconds(number(
                &get,
                "PAGEWIRE_UPLOAD_URL_SECS",
                defaults.upload_url_ttl.num_seconds(),
            )?),
            max_pdf_pages: number(&get, "PAGEWIRE_MAX_PDF_PAGES", defaults.max_pdf_pages)?,
            allow_http_webhooks: flag(&get, "PAGEWIRE_ALLOW_HTTP_WEBHOOKS")?,
            allow_private_webhooks: flag(&get, "PAGEWIRE_ALLOW_PRIVATE_WEBHOOKS")?,
            webhook_timeout: Duration::from_secs(number(
                &get,
                "PAGEWIRE_WEBHOOK_TIMEOUT_SECS",
                15,
            )?),
            disable_rule: DisableRule {
                failures: number(
                    &get,
                    "PAGEWIRE_DISABLE_AFTER_FAILURES",
                    defaults.disable_rule.failures,
                )?,
                span: TimeSpan::hours(number(
                    &get,
                    "PAGEWIRE_DISABLE_AFTER_HOURS",
                    defaults.disable_rule.span.num_hours(),
                )?),
            },
            api_rate_limit: RateLimit {
                per_second: number(
                    &get,
                    "PAGEWIRE_RATE_LIMIT_PER_SECOND",
                    defaults.api_rate_limit.per_second,
                )?,
                burst: number(
                    &get,
                    "PAGEWIRE_RATE_LIMIT_BURST",
                    defaults.api_rate_limit.burst,
                )?,
            },
            ..defaults
        };
        Ok(Self {
            resources,
            ocr_model_dir,
            onnxruntime_lib,
            settings,
            read_isolation: ReadIsolation::from_lookup(&get)?,
        })
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| ConfigError {
            name,
            problem: format!("{text:?} is not a valid number"),
        }),
    }
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ConfigError {
            name,
            problem: format!("{other:?} is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reads_values_and_refuses_bad_ones() {
        let env: HashMap<&str, &str> = [
            ("PAGEWIRE_RETENTION_HOURS", "48"),
            ("PAGEWIRE_ALLOW_HTTP_WEBHOOKS", "true"),
            ("PAGEWIRE_RATE_LIMIT_PER_SECOND", "5"),
        ]
        .into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(config.settings.retention, TimeSpan::hours(48));
        assert!(config.settings.allow_http_webhooks);
        assert!(!config.settings.allow_private_webhooks);
        assert_eq!(config.settings.api_rate_limit.per_second, 5);
        assert_eq!(config.settings.api_rate_limit.burst, 200);
        let bad: HashMap<&str, &str> = [("PAGEWIRE_WEBHOOK_TIMEOUT_SECS", "soon")].into();
        let err = Config::from_lookup(|k| bad.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "PAGEWIRE_WEBHOOK_TIMEOUT_SECS");
    }

    #[test]
    fn the_disable_rule_defaults_to_ten_failures_over_five_days_and_can_be_set() {
        let none = Config::from_lookup(|_| None).unwrap();
        assert_eq!(none.settings.disable_rule, DisableRule::default());
        assert_eq!(none.settings.disable_rule.span, TimeSpan::hours(120));
        let env: HashMap<&str, &str> = [
            ("PAGEWIRE_DISABLE_AFTER_FAILURES", "3"),
            ("PAGEWIRE_DISABLE_AFTER_HOURS", "6"),
        ]
        .into();
        let set = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(
            set.settings.disable_rule,
            DisableRule {
                failures: 3,
                span: TimeSpan::hours(6)
            }
        );
    }

    #[test]
    fn the_read_budget_follows_the_lambda_memory_size_unless_set() {
        let lambda: HashMap<&str, &str> = [
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"),
            ("PAGEWIRE_READ_TIMEOUT_SECS", "90"),
            ("PAGEWIRE_READ_WORKERS", "1"),
        ]
        .into();
        let iso = Config::from_lookup(|k| lambda.get(k).map(|v| v.to_string()))
            .unwrap()
            .read_isolation;
        assert_eq!(
            iso.budget.memory_mb(),
            2048 - ReadBudget::LAMBDA_PARENT_RESERVE_MB
        );
        assert_eq!(iso.budget.wall, Duration::from_secs(90));
        assert!(iso.budget.cpu >= iso.budget.wall);
        assert_eq!(iso.workers, 1);
        assert!(!iso.isolates(), "no worker command: reads stay in process");
        let set: HashMap<&str, &str> = [
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"),
            ("PAGEWIRE_READ_MEMORY_MB", "700"),
            ("PAGEWIRE_READ_CPU_SECS", "30"),
        ]
        .into();
        let iso = Config::from_lookup(|k| set.get(k).map(|v| v.to_string()))
            .unwrap()
            .read_isolation;
        assert_eq!(iso.budget.memory_mb(), 700);
        assert_eq!(iso.budget.cpu, Duration::from_secs(30));
        assert_eq!(iso.budget.wall, ReadBudget::DEFAULT_WALL);
        let bad: HashMap<&str, &str> = [("PAGEWIRE_READ_MEMORY_MB", "lots")].into();
        let err = Config::from_lookup(|k| bad.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "PAGEWIRE_READ_MEMORY_MB");
    }
}
