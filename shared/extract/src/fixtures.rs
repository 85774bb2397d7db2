//! Small, valid files for tests, benchmarks and examples, generated rather than committed: PDFs with a
//! real text layer (Helvetica, with its widths), the invoice every form of which the tests read, and a
//! "scanned" PDF whose only content is an image.

/// Helvetica's advance widths (1/1000 em) for the printable ASCII range, from its published metrics.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a..z
    334, 260, 334, 584, // {..~
];

/// A run of text at `x` points from the left and its baseline `y` points from the top of an A4 page.
#[derive(Debug, Clone)]
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

impl Text {
    pub fn new(x: f32, y: f32, size: f32, text: &str) -> Self {
        Self {
            x,
            y,
            size,
            text: text.to_string(),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// Writes objects 1..=n (object 1 must be the catalog) with a correct cross-reference table.
pub(crate) fn write_pdf(objects: &[Vec<u8>], info: Option<&str>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let extra = info.unwrap_or("");
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {extra} >>\nstartxref\n{xref_at}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub(crate) fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// A4 pages, each with its own content stream; object 3 is the font (or whatever `resources` names).
pub(crate) fn pages_pdf(contents: &[Vec<u8>], resources: &str, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let first_page = 4 + extra.len();
    let kids: Vec<String> = (0..contents.len())
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let widths: Vec<String> = HELVETICA_WIDTHS.iter().map(u16::to_string).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            contents.len()
        )
        .into_bytes(),
        format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding \
             /FirstChar 32 /LastChar 126 /Widths [{}] >>",
            widths.join(" ")
        )
        .into_bytes(),
    ];
    objects.extend(extra);
    for (i, content) in contents.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources {resources} \
                 /Contents {} 0 R >>",
                first_page + 2 * i + 1
            )
            .into_bytes(),
        );
        objects.push(stream("", content));
    }
    write_pdf(&objects, None)
}

/// A PDF with one page per slice of lines, in 12 pt Helvetica from the top left, with a text layer.
pub fn text_pdf(pages: &[&[&str]]) -> Vec<u8> {
    let pages: Vec<Vec<Text>> = pages
        .iter()
        .map(|lines| {
            lines
                .iter()
                .enumerate()
                .map(|(i, line)| Text::new(72.0, 72.0 + 16.0 * i as f32, 12.0, line))
                .collect()
        })
        .collect();
    positioned_pdf(&pages, None)
}

/// A PDF with text runs placed where each [`Text`] says. `trailer_extra` is added to the trailer
/// (used to make hostile variants).
pub fn positioned_pdf(pages: &[Vec<Text>], trailer_extra: Option<&str>) -> Vec<u8> {
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|runs| {
            let mut content = String::from("BT\n");
            for run in runs {
                content.push_str(&format!(
                    "/F1 {} Tf 1 0 0 1 {} {} Tm ({}) Tj\n",
                    run.size,
                    run.x,
                    842.0 - run.y,
                    escape(&run.text)
                ));
            }
            content.push_str("ET");
            content.into_bytes()
        })
        .collect();
    let pdf = pages_pdf(&contents, "<< /Font << /F1 3 0 R >> >>", Vec::new());
    match trailer_extra {
        None => pdf,
        Some(extra) => {
            let text = String::from_utf8_lossy(&pdf).into_owned();
            let at = text.rfind("/Root 1 0 R").unwrap_or(0) + "/Root 1 0 R".len();
            let mut out = pdf[..at].to_vec();
            out.extend_from_slice(format!(" {extra}").as_bytes());
            out.extend_from_slice(&pdf[at..]);
            out
        }
    }
}

/// A one-page A4 PDF with the given `/Font` resources (inline font dictionaries, e.g. `/F1 << /Type /Font
/// /Subtype /Type1 /BaseFont /Times-Roman >>`), extra page entries (`/CropBox [...]`) and content stream.
pub fn fonts_pdf(fonts: &str, page_extra: &str, content: &str) -> Vec<u8> {
    let data = content.as_bytes();
    write_pdf(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {page_extra} \
                 /Resources << /Font << {fonts} >> >> /Contents 4 0 R >>"
            )
            .into_bytes(),
            stream("", data),
        ],
        None,
    )
}

/// A one-page A4 PDF with a line of Helvetica text and raw grey images (`width` x `height` pixels,
/// all mid-grey) painted at the given rectangles `(x, y, width, height)` in points.
pub fn text_and_images_pdf(text: &str, images: &[(u32, u32, [f32; 4])]) -> Vec<u8> {
    let mut content = format!("BT /F1 12 Tf 1 0 0 1 72 770 Tm ({}) Tj ET\n", escape(text));
    let mut xobjects = String::new();
    let mut extra = Vec::new();
    for (i, (width, height, [x, y, w, h])) in images.iter().enumerate() {
        content.push_str(&format!("q {w} 0 0 {h} {x} {y} cm /Im{i} Do Q\n"));
        xobjects.push_str(&format!("/Im{i} {} 0 R ", 4 + i));
        extra.push(stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8"
            ),
            &vec![128u8; (*width * *height) as usize],
        ));
    }
    pages_pdf(
        &[content.into_bytes()],
        &format!("<< /Font << /F1 3 0 R >> /XObject << {xobjects}>> >>"),
        extra,
    )
}

/// A one-page PDF whose content stream is given as is (font /F1 is Helvetica).
pub fn raw_content_pdf(content: &str) -> Vec<u8> {
    pages_pdf(
        &[content.as_bytes().to_vec()],
        "<< /Font << /F1 3 0 R >> >>",
        Vec::new(),
    )
}

/// The invoice the tests read in every form (text PDF, PNG, JPEG, scan): a header in two columns, a
/// value below its label, a table, and the total.
pub fn invoice_runs() -> Vec<Text> {
    vec![
        Text::new(50.0, 60.0, 20.0, "ACME Corporation"),
        Text::new(400.0, 60.0, 20.0, "INVOICE"),
        Text::new(50.0, 95.0, 10.0, "123 Harbour Road, Springfield"),
        Text::new(50.0, 150.0, 12.0, "Invoice Number: INV-2024-001"),
        Text::new(320.0, 150.0, 12.0, "Invoice Date: March 15, 2024"),
        Text::new(50.0, 172.0, 12.0, "Due Date: 14/04/2024"),
        Text::new(50.0, 215.0, 12.0, "Bill To:"),
        Text::new(50.0, 233.0, 12.0, "Globex Ltd"),
        Text::new(50.0, 251.0, 12.0, "42 Main Street"),
        Text::new(50.0, 300.0, 12.0, "Description"),
        Text::new(320.0, 300.0, 12.0, "Qty"),
        Text::new(450.0, 300.0, 12.0, "Amount"),
        Text::new(50.0, 322.0, 12.0, "Widgets"),
        Text::new(320.0, 322.0, 12.0, "10"),
        Text::new(450.0, 322.0, 12.0, "$1,000.00"),
        Text::new(50.0, 344.0, 12.0, "Service fee"),
        Text::new(320.0, 344.0, 12.0, "1"),
        Text::new(450.0, 344.0, 12.0, "$234.56"),
        Text::new(320.0, 395.0, 14.0, "Total Due: $1,234.56"),
        Text::new(50.0, 780.0, 9.0, "Thank you for your business."),
    ]
}

pub fn invoice_pdf() -> Vec<u8> {
    positioned_pdf(&[invoice_runs()], None)
}

/// A "scanned" one-page A4 PDF: no text, only a JPEG drawn over the whole page.
pub fn image_pdf(jpeg: &[u8], width: u32, height: u32, grey: bool) -> Vec<u8> {
    let colour = if grey { "/DeviceGray" } else { "/DeviceRGB" };
    let image = stream(
        &format!(
            "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {colour} \
             /BitsPerComponent 8 /Filter /DCTDecode"
        ),
        jpeg,
    );
    pages_pdf(
        &[b"q 595 0 0 842 0 0 cm /Im1 Do Q".to_vec()],
        "<< /XObject << /Im1 4 0 R >> >>",
        vec![image],
    )
}

/// The smallest valid PNG: one transparent pixel.
pub const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A multi-page grey TIFF: one page per (width, height, grey level).
#[cfg(feature = "ocr")]
pub fn tiff_pages(pages: &[(u32, u32, u8)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut encoder = tiff::encoder::TiffEncoder::new(&mut out).expect("tiff encoder");
    for &(width, height, level) in pages {
        let pixels = vec![level; (width * height) as usize];
        encoder
            .write_image::<tiff::encoder::colortype::Gray8>(width, height, &pixels)
            .expect("tiff page");
    }
    out.into_inner()
}

/// `pdf` encrypted (RC4, 128 bits) with these passwords. An empty user password gives the common
/// "protected" PDF that opens without asking.
pub fn encrypted_pdf(pdf: &[u8], owner_password: &str, user_password: &str) -> Vec<u8> {
    use lopdf::{Document, EncryptionState, EncryptionVersion, Object, Permissions, StringFormat};
    let mut doc = Document::load_mem(pdf).expect("a valid PDF");
    let id = Object::String(b"pagewire-fixture".to_vec(), StringFormat::Literal);
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password,
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .expect("encryption state");
    doc.encrypt(&state).expect("encrypts");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}
