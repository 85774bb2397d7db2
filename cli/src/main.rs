use clap::{Parser, Subcommand, ValueEnum};
use pagewire_cli::ocr_models::OcrModels;
use pagewire_cli::ocr_runtime::OcrRuntime;
use pagewire_cli::{backend, tenant, DevOptions, DevStack};
use pagewire_core::configuration::{templates, TemplateInput, TemplatePorts};
use pagewire_core::SystemClock;
use pagewire_lambda_kit::{read_worker, telemetry, Config};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "pagewire",
    version,
    about = "Document-to-webhook service: run it locally, manage tenants"
)]
struct Cli {
    /// Where the embedded backend keeps its SQLite database and files.
    #[arg(
        long,
        global = true,
        env = "PAGEWIRE_DATA_DIR",
        default_value = ".pagewire"
    )]
    data_dir: PathBuf,
    /// Where state lives: the embedded backend in --data-dir, or the AWS resources named by the variables
    /// the functions read (PAGEWIRE_JOBS_TABLE, PAGEWIRE_CONFIG_TABLE, PAGEWIRE_BUCKET,
    /// PAGEWIRE_DELIVERY_QUEUE_URL: the deployed stack's outputs).
    #[arg(
        long,
        global = true,
        env = "PAGEWIRE_BACKEND",
        value_enum,
        default_value = "embedded"
    )]
    backend: BackendKind,
    /// With `--backend aws`, for `dev`: the queue the bucket notifies of new uploads.
    #[arg(long, global = true, env = "PAGEWIRE_PROCESS_QUEUE_URL")]
    process_queue_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendKind {
    Embedded,
    Aws,
}

#[derive(Clone, Subcommand)]
enum Command {
    /// Serve the whole API on 127.0.0.1 and run processing and delivery in the same process.
    Dev {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Let webhooks use plain http:// URLs (local receivers only; production requires https).
        #[arg(long)]
        allow_http_webhooks: bool,
        /// Let webhooks reach loopback addresses (a receiver on this machine). Private networks, link-local
        /// (cloud metadata) and the other refused ranges stay refused.
        #[arg(long)]
        allow_loopback_webhooks: bool,
        /// Pages a tenant may preview per minute (`POST /templates/preview`) [default: 30]. The browser tests
        /// of the template studio raise it: they preview far faster than a person clicks.
        #[arg(long, env = "PAGEWIRE_PREVIEW_PAGES_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..))]
        preview_pages_per_minute: Option<u32>,
        /// Switch an endpoint off after this many deliveries in a row failed for good (0: never; a 410
        /// still does) [default: 10, or PAGEWIRE_DISABLE_AFTER_FAILURES].
        #[arg(long)]
        disable_after_failures: Option<u32>,
        /// ... failing for at least this many hours from the first of them [default: 120, or
        /// PAGEWIRE_DISABLE_AFTER_HOURS].
        #[arg(long)]
        disable_after_hours: Option<u32>,
        /// The most the embedded database may grow to, in MB [default: no cap]. Past it, requests that
        /// write answer 503 with `Retry-After` (as on a full disk) until expired items are swept.
        #[arg(long, env = "PAGEWIRE_MAX_DATABASE_MB", value_parser = clap::value_parser!(u64).range(1..))]
        max_database_mb: Option<u64>,
        /// The built dashboard (`npm run build` in dashboard/) served at `/`.
        #[arg(long, env = "PAGEWIRE_DASHBOARD_DIR", default_value = pagewire_cli::static_files::DEFAULT_DASHBOARD_DIR)]
        dashboard_dir: PathBuf,
        /// Documents processed at the same time [default: the number of cores].
        #[arg(long, env = "PAGEWIRE_PROCESS_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..))]
        process_concurrency: Option<u16>,
        /// Webhooks sent at the same time [default: 16 per core, 16 to 128].
        #[arg(long, env = "PAGEWIRE_DELIVERY_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..))]
        delivery_concurrency: Option<u16>,
    },
    /// Manage tenants, their API keys and credits.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
}

#[derive(Clone, Subcommand)]
enum TenantAction {
    /// Create a tenant and print its first API key.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 1000)]
        credits: i64,
    },
    /// List tenants with their credit balances.
    List,
    /// Add (or with a negative number remove) credits.
    Credits {
        #[arg(long)]
        tenant: String,
        #[arg(long, allow_hyphen_values = true)]
        add: i64,
    },
    /// Issue another API key for a tenant.
    Key {
        #[arg(long)]
        tenant: String,
    },
}

fn main() -> ExitCode {
    // `pagewire read-worker` (hidden): `pagewire dev` re-runs itself so to read each document in a
    // process with limits. Checked before anything else: no runtime, no logging on stdout.
    if let Some(exit) = read_worker::serve_if_asked() {
        return exit;
    }
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let command = cli.command.clone();
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    config.read_isolation.worker = read_worker::this_executable();
    let outcome = match command {
        Command::Dev {
            port,
            allow_http_webhooks,
            allow_loopback_webhooks,
            dashboard_dir,
            process_concurrency,
            delivery_concurrency,
            preview_pages_per_minute,
            disable_after_failures,
            disable_after_hours,
            max_database_mb,
        } => {
            // OCR is on unless the models cannot be found: the start-up output says which case it is.
            let ocr = OcrModels::from_env();
            config.ocr_model_dir = ocr.dir().map(Path::to_path_buf);
            // The engine only matters with models: no fetch when OCR is off.
            let runtime = ocr.dir().map(|dir| OcrRuntime::from_env(Some(dir)));
            config.onnxruntime_lib = runtime
                .as_ref()
                .and_then(OcrRuntime::library)
                .map(Path::to_path_buf);
            let ocr_line = match &runtime {
                Some(runtime) => format!("{}, {}", ocr.startup_line(), runtime.describe()),
                None => ocr.startup_line(),
            };
            config.settings.allow_http_webhooks |= allow_http_webhooks;
            config.settings.allow_loopback_webhooks |= allow_loopback_webhooks;
            if let Some(pages) = preview_pages_per_minute {
                config.settings.preview.pages_per_minute = pages;
            }
            if let Some(failures) = disable_after_failures {
                config.settings.disable_rule.failures = failures;
            }
            if let Some(hours) = disable_after_hours {
                config.settings.disable_rule.span = chrono::TimeDelta::hours(i64::from(hours));
            }
            let concurrency = Concurrency {
                process: process_concurrency.map(usize::from),
                delivery: delivery_concurrency.map(usize::from),
            };
            let max_database_bytes = max_database_mb.map(|mb| mb.saturating_mul(1 << 20));
            run_dev(
                config,
                &cli,
                port,
                dashboard_dir,
                concurrency,
                max_database_bytes,
                &ocr_line,
            )
            .await
        }
        Command::Tenant { action } => run_tenant(config, &cli, action).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_tenant(config: Config, cli: &Cli, action: TenantAction) -> Result<(), String> {
    let clock = Arc::new(SystemClock);
    let tenants = match cli.backend {
        BackendKind::Embedded => {
            backend::embedded(&config, &cli.data_dir, "http://127.0.0.1", clock).map(|b| b.tenants)
        }
        BackendKind::Aws => backend::aws_tenants(&config, clock).await,
    }
    .map_err(|e| e.to_string())?;
    let out = match action {
        TenantAction::Create { name, credits } => tenant::create(&tenants, &name, credits).await,
        TenantAction::List => tenant::list(&tenants).await,
        TenantAction::Credits { tenant: id, add } => tenant::add_credits(&tenants, &id, add).await,
        TenantAction::Key { tenant: id } => tenant::new_key(&tenants, &id).await,
    };
    println!("{}", out.map_err(|e| e.to_string())?.trim_end());
    Ok(())
}

/// `dev`'s concurrency flags; `None` keeps [`DevOptions`]' default.
struct Concurrency {
    process: Option<usize>,
    delivery: Option<usize>,
}

async fn run_dev(
    config: Config,
    cli: &Cli,
    port: u16,
    dashboard_dir: PathBuf,
    concurrency: Concurrency,
    max_database_bytes: Option<u64>,
    ocr_line: &str,
) -> Result<(), String> {
    let data_dir = cli.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let mut options = DevOptions::new(data_dir.clone(), Arc::new(SystemClock));
    options.config = config;
    options.port = port;
    options.dashboard_dir = Some(dashboard_dir.clone());
    options.process_concurrency = concurrency.process.unwrap_or(options.process_concurrency);
    options.delivery_concurrency = concurrency.delivery.unwrap_or(options.delivery_concurrency);
    options.max_database_bytes = max_database_bytes;
    if cli.backend == BackendKind::Aws {
        let url = cli.process_queue_url.clone().ok_or(
            "--backend aws needs --process-queue-url (or PAGEWIRE_PROCESS_QUEUE_URL) for `dev`",
        )?;
        options.aws_process_queue_url = Some(url);
    }
    let options_summary = (options.process_concurrency, options.delivery_concurrency);
    let stack = DevStack::start(options).await.map_err(|e| e.to_string())?;
    let (tenant_id, key, first) = tenant::dev_tenant(&stack.tenants)
        .await
        .map_err(|e| e.to_string())?;
    let template = sample_template(&stack.functions.templates.templates, tenant_id, first).await?;
    let sample = data_dir.join("sample-invoice.pdf");
    let pdf = pagewire_extract::reader::fixtures::text_pdf(&[&[
        "ACME Corporation",
        "Invoice Number: INV-2024-001",
        "Invoice Date: March 15, 2024",
        "Total Due: $1,234.56",
    ]]);
    std::fs::write(&sample, pdf).map_err(|e| format!("{}: {e}", sample.display()))?;
    let url = stack.base_url();
    println!(
        "pagewire dev is serving {url} (data in {})",
        data_dir.display()
    );
    if dashboard_dir.join("index.html").is_file() {
        println!("dashboard: {url}/ (from {})", dashboard_dir.display());
    } else {
        println!(
            "dashboard: not built in {} (cd dashboard && npm ci && npm run build)",
            dashboard_dir.display()
        );
    }
    println!("{ocr_line}");
    println!("tenant {tenant_id}");
    println!("api key: {key}");
    if let Some(template) = template {
        println!("sample template: {template}");
        println!("submit the sample invoice:");
        println!(
            "  curl -s -H 'x-auth: {key}' -F template_id={template} -F actual_image=@{} {url}/process-job",
            sample.display()
        );
    }
    println!(
        "processing {} documents and sending {} webhooks at a time",
        options_summary.0, options_summary.1
    );
    println!("stop with Ctrl-C");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    stack.stop().await;
    Ok(())
}

/// On first start, a template that reads the sample invoice, so the printed curl line works as is.
async fn sample_template(
    s: &TemplatePorts,
    tenant: pagewire_core::ids::TenantId,
    first: bool,
) -> Result<Option<String>, String> {
    let existing = templates::list(s, tenant)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(t) = existing.iter().find(|t| t.name == "Sample invoice") {
        return Ok(Some(t.id.to_string()));
    }
    if !first {
        return Ok(None);
    }
    let input: TemplateInput = serde_json::from_value(serde_json::json!({
        "name": "Sample invoice",
        "date_order": "month_day_year",
        "fields": [
            {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
            {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
            {"name": "total", "type": "money", "rule": {"kind": "label", "label": "Total Due:"}}
        ]
    }))
    .map_err(|e| e.to_string())?;
    let template = templates::create(s, tenant, input)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(template.id.to_string()))
}
