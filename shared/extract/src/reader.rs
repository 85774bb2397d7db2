//! The [`DocumentReader`] pagewire uses: ZIP unpacking, PDF text layers, and OCR of images and
//! scanned pages when the OCR models are configured (and the `ocr` feature is built in).

use crate::archive::{self, ArchiveLimits};
use crate::pdf;
use crate::pdf::failure;
use pagewire_core::model::FileKind;
#[cfg(feature = "ocr")]
use pagewire_core::ports::TextSource;
use pagewire_core::ports::{ArchiveEntry, DocumentReader, PageText, ReadDocument, ReadFailure};
use pagewire_core::Settings;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct ReaderLimits {
    pub max_pdf_pages: u32,
    /// Most pages of one document that go through OCR (OCR costs about a second per page).
    pub max_ocr_pages: u32,
    pub archive: ArchiveLimits,
}

impl ReaderLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            max_pdf_pages: settings.max_pdf_pages,
            max_ocr_pages: 50,
            archive: ArchiveLimits {
                max_entries: settings.max_zip_entries,
                max_total_uncompressed: settings.max_zip_uncompressed_bytes,
                max_entry_bytes: settings.max_inline_file_bytes as u64,
                max_ratio: 100,
            },
        }
    }
}

/// Where OCR comes from: nowhere, or models loaded on first use and kept for the process's life.
#[derive(Debug, Clone)]
enum Ocr {
    Unconfigured,
    #[cfg(not(feature = "ocr"))]
    NotBuilt,
    #[cfg(feature = "ocr")]
    Models {
        dir: std::path::PathBuf,
        engine: std::sync::Arc<std::sync::OnceLock<Result<crate::ocr::OcrEngine, String>>>,
    },
}

#[derive(Debug, Clone)]
pub struct PagewireReader {
    limits: ReaderLimits,
    ocr: Ocr,
    /// ONNX Runtime's library (see `crate::onnxruntime`); `None`: rten runs the OCR models.
    onnxruntime: Option<std::path::PathBuf>,
    #[cfg(feature = "ocr")]
    ocr_settings: crate::ocr::OcrSettings,
}

impl PagewireReader {
    /// A reader without OCR: images and scanned pages fail with `ocr_unavailable`.
    pub fn new(limits: ReaderLimits) -> Self {
        Self {
            limits,
            ocr: Ocr::Unconfigured,
            onnxruntime: None,
            #[cfg(feature = "ocr")]
            ocr_settings: Default::default(),
        }
    }

    /// Other OCR pipeline settings than the defaults (the benches compare them on the corpus).
    #[cfg(feature = "ocr")]
    pub fn with_ocr_settings(mut self, settings: crate::ocr::OcrSettings) -> Self {
        self.ocr_settings = settings;
        self
    }

    /// Runs the OCR models on ONNX Runtime from this library (`None`: on rten). A library that does not
    /// load falls back to rten on first use, logged.
    pub fn with_onnxruntime(mut self, library: Option<&Path>) -> Self {
        self.onnxruntime = library.map(Path::to_path_buf);
        self
    }

    /// Uses the OCR models in `dir` (see `scripts/lib/ocr-models.sh`); `None` leaves OCR off. The models
    /// are loaded once, on the first document that needs them, and shared by every clone of the reader.
    pub fn with_ocr_models(mut self, dir: Option<&Path>) -> Self {
        self.ocr = match dir {
            None => Ocr::Unconfigured,
            #[cfg(feature = "ocr")]
            Some(dir) => Ocr::Models {
                dir: dir.to_path_buf(),
                engine: Default::default(),
            },
            #[cfg(not(feature = "ocr"))]
            Some(_) => Ocr::NotBuilt,
        };
        self
    }

    /// The OCR engine, loading it on first use; the failure says why OCR cannot run.
    #[cfg(feature = "ocr")]
    fn engine(&self) -> Result<&crate::ocr::OcrEngine, ReadFailure> {
        match &self.ocr {
            Ocr::Unconfigured => Err(unconfigured()),
            Ocr::Models { dir, engine } => engine
                .get_or_init(|| {
                    let started = std::time::Instant::now();
                    let loaded = crate::ocr::OcrEngine::load_preferring(
                        dir,
                        self.ocr_settings,
                        self.onnxruntime.as_deref(),
                    )
                    .map_err(|e| e.to_string());
                    match &loaded {
                        Ok(engine) => tracing::info!(
                            millis = started.elapsed().as_millis() as u64,
                            inference = %engine.inference(),
                            "OCR models loaded"
                        ),
                        Err(e) => tracing::error!(error = %e, "OCR models failed to load"),
                    }
                    loaded
                })
                .as_ref()
                .map_err(|e| {
                    failure(
                        "ocr_unavailable",
                        format!(
                            "this document needs OCR, which is unavailable: {}",
                            crate::pdf::short(e)
                        ),
                    )
                }),
        }
    }

    /// Reads a scanned page or image with OCR, or says why it cannot.
    #[cfg(not(feature = "ocr"))]
    fn ocr_missing(&self) -> ReadFailure {
        match self.ocr {
            Ocr::Unconfigured => unconfigured(),
            Ocr::NotBuilt => failure(
                "ocr_unavailable",
                "this document needs OCR, but this build of pagewire has no OCR (feature `ocr`)",
            ),
        }
    }

    fn read_pdf(&self, bytes: &[u8]) -> Result<Vec<PageText>, ReadFailure> {
        let loaded = pdf::load(bytes, self.limits.max_pdf_pages)?;
        #[cfg_attr(not(feature = "ocr"), allow(unused_mut))]
        let mut pages = loaded.text_pages()?;
        let scanned: Vec<usize> = (0..pages.len())
            .filter(|&i| pages[i].words.is_empty())
            .collect();
        #[cfg(feature = "ocr")]
        {
            let with_images: Vec<usize> = scanned
                .into_iter()
                .filter(|&i| crate::scan::has_images(&loaded, loaded.pages[i].1))
                .collect();
            if with_images.len() > self.limits.max_ocr_pages as usize {
                return Err(too_many_ocr_pages(
                    with_images.len(),
                    self.limits.max_ocr_pages,
                ));
            }
            let mut pixels = crate::images::PixelBudget::default();
            if !with_images.is_empty() {
                let engine = self.engine()?;
                for &i in &with_images {
                    let (number, id) = loaded.pages[i];
                    pages[i] =
                        crate::scan::read_scanned_page(engine, &loaded, number, id, &mut pixels)?;
                }
            }
            let budget = self.limits.max_ocr_pages as usize - with_images.len();
            self.read_images_on_text_pages(&loaded, &mut pages, budget, &mut pixels)?;
            Ok(pages)
        }
        #[cfg(not(feature = "ocr"))]
        {
            if scanned.is_empty() {
                return Ok(pages);
            }
            // Pages with neither text nor images are blank; a page with an image needs OCR.
            let needs_ocr = scanned.iter().any(|&i| {
                loaded
                    .doc
                    .get_page_images(loaded.pages[i].1)
                    .is_ok_and(|images| !images.is_empty())
            });
            if needs_ocr {
                return Err(self.ocr_missing());
            }
            Ok(pages)
        }
    }

    /// Text that exists only inside an image of a text page (a scanned stamp with an IBAN) is read with
    /// OCR and merged with the text layer, within the document's OCR budget (one image costs about what a
    /// page does). Without OCR the text layer alone stands: the document does not fail for it.
    #[cfg(feature = "ocr")]
    fn read_images_on_text_pages(
        &self,
        loaded: &pdf::LoadedPdf,
        pages: &mut [PageText],
        mut budget: usize,
        pixels: &mut crate::images::PixelBudget,
    ) -> Result<(), ReadFailure> {
        for (page, &(number, id)) in pages.iter_mut().zip(&loaded.pages) {
            if page.words.is_empty() || page.source != TextSource::TextLayer {
                continue;
            }
            let images = crate::scan::text_bearing_images(loaded, id, &page.words);
            if images.is_empty() {
                continue;
            }
            let engine = match self.engine() {
                Ok(engine) => engine,
                Err(_) => {
                    tracing::info!(page = number, "images on a text page not read: no OCR");
                    return Ok(());
                }
            };
            let take = images.len().min(budget);
            if take < images.len() {
                tracing::info!(
                    page = number,
                    skipped = images.len() - take,
                    "images on a text page over the OCR budget"
                );
            }
            crate::scan::add_image_words(engine, loaded, id, page, &images[..take], pixels)?;
            budget -= take;
        }
        Ok(())
    }

    fn read_image(&self, kind: FileKind, bytes: &[u8]) -> Result<Vec<PageText>, ReadFailure> {
        #[cfg(feature = "ocr")]
        {
            let limits = crate::images::ImageLimits {
                max_pages: self.limits.max_ocr_pages,
                ..Default::default()
            };
            let engine = self.engine()?;
            // Each page is read with OCR and dropped before the next is decoded.
            crate::images::read_pages(kind, bytes, &limits, |image, number| {
                crate::scan::read_image_page(engine, &image, number)
            })
        }
        #[cfg(not(feature = "ocr"))]
        {
            let _ = (kind, bytes);
            Err(self.ocr_missing())
        }
    }
}

fn unconfigured() -> ReadFailure {
    failure(
        "ocr_unavailable",
        "this document needs OCR (an image or a scanned page), but no OCR models are configured \
         (PAGEWIRE_OCR_MODEL_DIR)",
    )
}

#[cfg(feature = "ocr")]
fn too_many_ocr_pages(pages: usize, limit: u32) -> ReadFailure {
    failure(
        "too_many_ocr_pages",
        format!("the document has {pages} scanned pages; at most {limit} are read with OCR"),
    )
}

impl DocumentReader for PagewireReader {
    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure> {
        // The parsers are not guaranteed panic-free on hostile input; a panic becomes a failed document.
        let read = catch_unwind(AssertUnwindSafe(|| match kind {
            FileKind::Pdf => self.read_pdf(bytes),
            FileKind::Png | FileKind::Jpeg | FileKind::Tiff | FileKind::Webp => {
                self.read_image(kind, bytes)
            }
            FileKind::Zip => Err(failure("nested_archive", "a ZIP is not a document")),
        }));
        let pages = read.unwrap_or_else(|_| {
            Err(failure(
                "unreadable_document",
                "the document could not be read (its content is malformed)",
            ))
        })?;
        Ok(ReadDocument { kind, pages })
    }

    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure> {
        catch_unwind(AssertUnwindSafe(|| {
            archive::unpack(bytes, self.limits.archive)
        }))
        .unwrap_or_else(|_| Err(failure("malformed_zip", "the ZIP could not be read")))
    }
}

/// Small, valid files for tests and examples (kept at this path for existing callers).
pub use crate::fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> PagewireReader {
        PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
    }

    #[test]
    fn images_need_ocr_models_and_say_so() {
        let err = reader()
            .read(FileKind::Png, fixtures::PIXEL_PNG)
            .unwrap_err();
        assert_eq!(err.code, "ocr_unavailable");
        assert!(
            err.message.contains("PAGEWIRE_OCR_MODEL_DIR"),
            "{}",
            err.message
        );
        let missing = reader().with_ocr_models(Some(Path::new("/nonexistent/pagewire-models")));
        let err = missing
            .read(FileKind::Png, fixtures::PIXEL_PNG)
            .unwrap_err();
        assert_eq!(err.code, "ocr_unavailable");
        // Text layers never need the models.
        let pdf = fixtures::text_pdf(&[&["hello"]]);
        let doc = missing.read(FileKind::Pdf, &pdf).unwrap();
        assert_eq!(doc.pages[0].words[0].text, "hello");
    }

    #[test]
    fn a_scanned_pdf_needs_ocr() {
        let jpeg = [0xffu8, 0xd8, 0xff, 0xd9];
        let pdf = fixtures::image_pdf(&jpeg, 10, 10, true);
        assert_eq!(
            reader().read(FileKind::Pdf, &pdf).unwrap_err().code,
            "ocr_unavailable"
        );
    }
}
