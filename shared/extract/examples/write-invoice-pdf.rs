//! Writes the invoice fixture PDF (the text-layer original the image fixtures are rendered from).
//! Usage: cargo run -p pagewire-extract --example write-invoice-pdf -- OUT.pdf

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "invoice.pdf".to_string());
    std::fs::write(&out, pagewire_extract::fixtures::invoice_pdf())
}
