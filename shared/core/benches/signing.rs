//! Signing cost per payload: `cargo bench -p pagewire-core --bench signing`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pagewire_core::policy::signature::{generate_secret, signature_header};
use std::hint::black_box;

fn signing(c: &mut Criterion) {
    let (current, retired) = (generate_secret(), generate_secret());
    let id = "msg_2f0c5a1e9b7d4c3a8e6f1b2d3c4a5e6f";
    let mut group = c.benchmark_group("sign");
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

criterion_group!(benches, signing);
criterion_main!(benches);
