//! Each document read in a worker process under a budget of memory and time: a document that makes the
//! reader allocate without bound, spin, crash or overflow its stack fails alone, once, with its reason,
//! costs nothing, and the next document is read by a fresh worker. The test worker
//! (`pagewire-test-read-worker`) is pagewire's reader plus hooks that misbehave on request.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::read_worker_hooks::Hook;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{invoice_pdf, isolate_reads, Backend, TestApp, TestEnv};
use integration_tests::test_read_worker;
use pagewire_core::model::FileKind;
use pagewire_core::ports::{DocumentReader, ReadFailure};
use pagewire_extract::isolation::{
    IsolatedReader, ReadBudget, WorkerCommand, CRASHED, MEMORY_LIMIT, TIMEOUT, UNAVAILABLE,
};
use pagewire_extract::{PagewireReader, ReaderLimits};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Small enough that the tests are quick; large enough for the reader and a PDF.
const BUDGET: ReadBudget = ReadBudget {
    memory_bytes: 256 << 20,
    wall: Duration::from_secs(3),
    cpu: Duration::from_secs(60),
};

fn isolated(command: WorkerCommand, budget: ReadBudget, workers: usize) -> IsolatedReader {
    let in_process = PagewireReader::new(ReaderLimits::from_settings(&Default::default()));
    IsolatedReader::new(command, budget, workers, Arc::new(in_process))
}

fn read_invoice(reader: &dyn DocumentReader) -> Result<String, ReadFailure> {
    let document = reader.read(FileKind::Pdf, &invoice_pdf())?;
    Ok(document.pages[0].words[0].text.clone())
}

#[test]
fn each_way_a_worker_dies_has_its_reason_and_the_next_read_gets_a_fresh_worker() {
    let reader = isolated(test_read_worker!(), BUDGET, 1);
    assert_eq!(read_invoice(&reader).unwrap(), "ACME");
    for (hook, code) in [
        (Hook::Allocate, MEMORY_LIMIT),
        (Hook::Spin, TIMEOUT),
        (Hook::Abort, CRASHED),
        (Hook::Segfault, CRASHED),
        (Hook::OverflowStack, CRASHED),
        (Hook::Exit, CRASHED),
    ] {
        let failure = reader.read(FileKind::Pdf, &hook.document()).unwrap_err();
        assert_eq!(failure.code, code, "{hook:?}: {}", failure.message);
        assert!(!failure.is_transient(), "{hook:?} is the document's fault");
        if hook == Hook::Spin {
            // The wall clock ended it (its CPU budget is 60 s): the parent killed the worker.
            assert!(
                failure.message.contains("longer than 3 s"),
                "{}",
                failure.message
            );
        }
        assert_eq!(
            read_invoice(&reader).unwrap(),
            "ACME",
            "the read after {hook:?}"
        );
        assert_eq!(reader.workers(), 1);
    }
    let memory = reader
        .read(FileKind::Pdf, &Hook::Allocate.document())
        .unwrap_err();
    assert!(memory.message.contains("256 MB"), "{}", memory.message);
    let stack = reader
        .read(FileKind::Pdf, &Hook::OverflowStack.document())
        .unwrap_err();
    assert!(stack.message.contains("stack"), "{}", stack.message);
}

/// The worker processes of `reader`'s (this test process's children) that have `library` mapped.
fn workers_with(library: &str) -> usize {
    let me = std::process::id().to_string();
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0;
    };
    processes
        .filter_map(Result::ok)
        .filter(|p| {
            p.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|p| {
            // Field 4 of /proc/PID/stat is the parent; the command name before it is in parentheses.
            std::fs::read_to_string(p.path().join("stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(|ppid| ppid == me))
                    .unwrap_or(false)
            })
        })
        .filter(|p| {
            std::fs::read_to_string(p.path().join("maps")).is_ok_and(|maps| maps.contains(library))
        })
        .count()
}

/// OCR (models, image decoding, the engine's threads) fits the default budget off Lambda, the models
/// load once per worker, and the worker runs them on ONNX Runtime, as `pagewire dev` and
/// process-document do. Needs the OCR models and ONNX Runtime, as `processing.rs` does.
#[test]
fn ocr_reads_in_a_worker_under_the_default_budget_on_onnx_runtime() {
    let models = integration_tests::stack::ocr_model_dir();
    let library = integration_tests::stack::onnxruntime_lib();
    let command = test_read_worker!()
        .env("PAGEWIRE_OCR_MODEL_DIR", &models)
        .env("PAGEWIRE_ONNXRUNTIME_LIB", &library);
    let reader = isolated(command, ReadBudget::default_for(None, 2), 1);
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/invoice.png")).unwrap();
    for _ in 0..2 {
        let page = &reader.read(FileKind::Png, &png).unwrap().pages[0];
        let text: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
        assert!(text.join(" ").contains("INV-2024-001"), "{text:?}");
    }
    assert_eq!(reader.workers(), 1);
    assert_eq!(
        workers_with(&library.display().to_string()),
        1,
        "the worker runs ONNX Runtime"
    );
}

/// A file that is not ONNX Runtime where the library should be costs speed, not OCR: the worker reads
/// with rten.
#[test]
fn a_broken_onnx_runtime_library_falls_back_to_rten_in_the_worker() {
    let models = integration_tests::stack::ocr_model_dir();
    let not_a_library = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/invoice.jpg");
    let command = test_read_worker!()
        .env("PAGEWIRE_OCR_MODEL_DIR", &models)
        .env("PAGEWIRE_ONNXRUNTIME_LIB", not_a_library);
    let reader = isolated(command, ReadBudget::default_for(None, 2), 1);
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/invoice.png")).unwrap();
    let page = &reader.read(FileKind::Png, &png).unwrap().pages[0];
    let text: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
    assert!(text.join(" ").contains("INV-2024-001"), "{text:?}");
    assert_eq!(workers_with("libonnxruntime"), 0);
}

#[test]
fn the_cpu_limit_ends_a_read_the_wall_clock_would_let_run() {
    let budget = ReadBudget {
        cpu: Duration::from_secs(1),
        wall: Duration::from_secs(60),
        ..BUDGET
    };
    let reader = isolated(test_read_worker!(), budget, 1);
    // Time used before the document does not count against it.
    for _ in 0..3 {
        assert_eq!(read_invoice(&reader).unwrap(), "ACME");
    }
    let failure = reader
        .read(FileKind::Pdf, &Hook::Spin.document())
        .unwrap_err();
    assert_eq!(failure.code, TIMEOUT, "{}", failure.message);
    // The CPU limit's message, not the wall clock's: the worker stopped itself.
    assert!(
        failure.message.contains("s of CPU time"),
        "{}",
        failure.message
    );
    assert_eq!(read_invoice(&reader).unwrap(), "ACME");
}

#[test]
fn a_document_too_large_for_the_memory_budget_fails_as_it_arrives() {
    let budget = ReadBudget {
        memory_bytes: 48 << 20,
        ..BUDGET
    };
    let reader = isolated(test_read_worker!(), budget, 1);
    let mut large = invoice_pdf();
    large.resize(96 << 20, b' ');
    let failure = reader.read(FileKind::Pdf, &large).unwrap_err();
    assert_eq!(failure.code, MEMORY_LIMIT, "{}", failure.message);
    assert_eq!(read_invoice(&reader).unwrap(), "ACME");
}

#[test]
fn a_worker_that_died_while_idle_is_replaced_without_failing_the_next_document() {
    let reader = isolated(test_read_worker!(), BUDGET, 1);
    assert_eq!(read_invoice(&reader).unwrap(), "ACME");
    let [idle] = reader.idle_worker_ids()[..] else {
        panic!("one idle worker: {:?}", reader.idle_worker_ids());
    };
    let pid = rustix::process::Pid::from_raw(idle as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
    assert_eq!(read_invoice(&reader).unwrap(), "ACME");
    let replaced = reader.idle_worker_ids();
    assert_eq!(replaced.len(), 1);
    assert_ne!(replaced[0], idle, "a fresh worker read it");
}

#[test]
fn concurrent_callers_share_at_most_the_pool_size_of_workers() {
    let reader = Arc::new(isolated(test_read_worker!(), BUDGET, 2));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let reader = reader.clone();
            std::thread::spawn(move || {
                for j in 0..4 {
                    if (i + j) % 5 == 0 {
                        let failure = reader.read(FileKind::Pdf, &Hook::Abort.document());
                        assert_eq!(failure.unwrap_err().code, CRASHED);
                    } else {
                        assert_eq!(read_invoice(&*reader).unwrap(), "ACME");
                    }
                    assert!(reader.workers() <= 2, "{} workers", reader.workers());
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a reading thread");
    }
    assert!(reader.workers() >= 1 && reader.workers() <= 2);
}

#[test]
fn no_worker_to_start_is_the_readers_fault_not_the_documents() {
    let reader = isolated(
        WorkerCommand::new("/nonexistent/pagewire-read-worker", Vec::<String>::new()),
        BUDGET,
        1,
    );
    let failure = read_invoice(&reader).unwrap_err();
    assert_eq!(failure.code, UNAVAILABLE);
    assert!(failure.is_transient());
    assert_eq!(reader.workers(), 0, "the failed start frees its place");
    // A program that is not a read worker at all.
    let reader = isolated(WorkerCommand::new("/bin/cat", ["/dev/null"]), BUDGET, 1);
    assert_eq!(read_invoice(&reader).unwrap_err().code, UNAVAILABLE);
}

async fn submit(app: &TestApp, key: &str, template: &str, file: &[u8]) -> String {
    let (status, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(key),
            Some(json!({"template_id": template, "actual_image": STANDARD.encode(file)})),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    accepted["job_id"].as_str().unwrap().to_string()
}

async fn a_document_that_ends_its_worker_fails_alone_once_and_costs_nothing(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let app = env
        .start_adjusted(|o| isolate_reads(o, test_read_worker!(), BUDGET, 1))
        .await;
    let key = app.tenant("acme", 10).await;
    let template = app.invoice_template(&key).await;
    app.webhook(
        &key,
        json!({"template_id": template, "name": "r", "url": receiver.url("/hook")}),
    )
    .await;
    // Hostile documents and good ones in the same batches of the process queue.
    let mut jobs = Vec::new();
    for hook in [Hook::Allocate, Hook::Spin, Hook::Segfault] {
        jobs.push((
            Some(hook),
            submit(&app, &key, &template, &hook.document()).await,
        ));
        jobs.push((None, submit(&app, &key, &template, &invoice_pdf()).await));
    }
    app.stack.drain().await;
    assert_eq!(app.stack.drain().await, 0, "nothing is retried");
    for (hook, job) in &jobs {
        let view = app.job_status(&key, job).await;
        let document = &view["documents"][0];
        match hook {
            Some(hook) => {
                let code = match hook {
                    Hook::Allocate => MEMORY_LIMIT,
                    Hook::Spin => TIMEOUT,
                    _ => CRASHED,
                };
                assert_eq!(view["status"], "FAILED", "{hook:?}: {view}");
                assert_eq!(document["status"], "PROCESS IMAGE FAILED", "{view}");
                assert_eq!(document["error"]["code"], code, "{hook:?}: {view}");
                assert_eq!(view["credits_charged"], 0, "{view}");
            }
            None => {
                assert_eq!(view["status"], "SUCCESS", "{view}");
                assert_eq!(view["credits_charged"], 2, "{view}");
            }
        }
    }
    assert_eq!(
        app.credits("acme").await,
        10 - 3 * 2,
        "only the good documents are charged"
    );
    // One webhook per document: the failed ones are reported once, as failed.
    let payloads: Vec<Value> = receiver.received().iter().map(|r| r.json()).collect();
    for (hook, job) in &jobs {
        let sent: Vec<&Value> = payloads.iter().filter(|p| p["job_id"] == **job).collect();
        assert_eq!(sent.len(), 1, "{hook:?}: {sent:?}");
        let expected = if hook.is_some() {
            "document.failed"
        } else {
            "document.completed"
        };
        assert_eq!(sent[0]["type"], expected, "{hook:?}");
    }
    app.stack.stop().await;
}

async fn a_reader_that_cannot_start_leaves_the_document_to_be_retried(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let missing = WorkerCommand::new("/nonexistent/pagewire-read-worker", Vec::<String>::new());
    let app = env
        .start_adjusted(|o| isolate_reads(o, missing, BUDGET, 1))
        .await;
    let key = app.tenant("acme", 10).await;
    let template = app.invoice_template(&key).await;
    let job = submit(&app, &key, &template, &invoice_pdf()).await;
    app.stack.drain().await;
    let view = app.job_status(&key, &job).await;
    assert_ne!(view["status"], "FAILED", "{view}");
    assert_eq!(view["documents"][0]["status"], "PROCESSING IMAGE", "{view}");
    assert_eq!(view["credits_charged"], 0, "{view}");
    app.stack.stop().await;
}

integration_tests::on_both_backends!(
    a_document_that_ends_its_worker_fails_alone_once_and_costs_nothing,
    a_reader_that_cannot_start_leaves_the_document_to_be_retried,
);
