//! Signing cost per payload: `cargo bench -p pagewire-core --bench signing`.
//!
//! Two groups: `sign` is criterion's wall time; `sign_cpu` is the same work measured in this thread's CPU
//! time, which stays meaningful when other processes share the cores (wall time then includes the time
//! the thread waited to be scheduled).

mod thread_cpu;

use criterion::measurement::Measurement;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use pagewire_core::policy::signature::{generate_secret, signature_header};
use std::hint::black_box;
use thread_cpu::ThreadCpuTime;

fn payloads<M: Measurement>(mut group: BenchmarkGroup<'_, M>) {
    let (current, retired) = (generate_secret(), generate_secret());
    let id = "msg_2f0c5a1e9b7d4c3a8e6f1b2d3c4a5e6f";
    for size in [1024usize, 10 * 1024, 100 * 1024] {
        let body: Vec<u8> = (0..size).map(|i| b"{\"field\": 12.5}"[i % 15]).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("one_key", size), &body, |b, body| {
            b.iter(|| signature_header(&[&current], black_box(id), 1_700_000_000, black_box(body)))
        });
        group.bench_with_input(
            BenchmarkId::new("rotated_two_keys", size),
            &body,
            |b, body| {
                b.iter(|| {
                    signature_header(
                        &[&current, &retired],
                        black_box(id),
                        1_700_000_000,
                        black_box(body),
                    )
                })
            },
        );
    }
    group.finish();
}

fn signing_wall(c: &mut Criterion) {
    payloads(c.benchmark_group("sign"));
}

fn signing_cpu(c: &mut Criterion<ThreadCpuTime>) {
    payloads(c.benchmark_group("sign_cpu"));
}

criterion_group!(wall, signing_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = signing_cpu
}
criterion_main!(wall, cpu);
