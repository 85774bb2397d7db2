//! The page list of a PDF, from a walk of its page tree that refuses every loop.
//!
//! A page tree is a tree: each node is listed once, by one parent. A file that lists a node twice (a
//! `Kids` array repeating a page, a `Pages` node among its own descendants) or whose `Parent` links
//! go round in a circle is malformed; reading it anyway would charge pages that do not exist or walk
//! inherited attributes forever.

use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashSet;

/// Deeper than any real page tree (writers balance them a few levels deep).
const MAX_TREE_DEPTH: usize = 64;

/// Why the page tree cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageTreeError {
    #[error("the PDF has no pages")]
    Missing,
    #[error("the page tree lists object {0} more than once (a cycle or a repeated page)")]
    Repeated(u32),
    #[error("the page tree's parent links above page object {0} form a cycle")]
    ParentLoop(u32),
    #[error("the page tree is more than {MAX_TREE_DEPTH} levels deep")]
    TooDeep,
    #[error("the page tree lists more than {0} pages")]
    TooManyPages(usize),
}

/// The object ids of the pages in order, stopping as soon as there are more than `max_pages`.
pub fn page_ids(doc: &Document, max_pages: usize) -> Result<Vec<ObjectId>, PageTreeError> {
    let root = doc
        .catalog()
        .ok()
        .and_then(|catalog| catalog.get(b"Pages").ok())
        .and_then(|pages| pages.as_reference().ok())
        .ok_or(PageTreeError::Missing)?;
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    // Depth-first, kids in order: a stack of (node, depth), kids pushed in reverse.
    let mut stack = vec![(root, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) {
            return Err(PageTreeError::Repeated(id.0));
        }
        if depth > MAX_TREE_DEPTH {
            return Err(PageTreeError::TooDeep);
        }
        // A kid that is missing or not a dictionary is skipped, as viewers do.
        let Ok(node) = doc.get_dictionary(id) else {
            continue;
        };
        if is_pages_node(node) {
            let kids = node
                .get(b"Kids")
                .ok()
                .and_then(|kids| resolve(doc, kids).as_array().ok());
            for kid in kids.into_iter().flatten().rev() {
                if let Ok(kid) = kid.as_reference() {
                    stack.push((kid, depth + 1));
                }
            }
        } else {
            parents_end(doc, id, node)?;
            pages.push(id);
            if pages.len() > max_pages {
                return Err(PageTreeError::TooManyPages(max_pages));
            }
        }
    }
    if pages.is_empty() {
        return Err(PageTreeError::Missing);
    }
    Ok(pages)
}

/// A node with `Kids` is an intermediate node whatever its `/Type` says (a missing `/Type` is common).
fn is_pages_node(node: &Dictionary) -> bool {
    node.get(b"Type")
        .and_then(Object::as_name)
        .is_ok_and(|t| t == b"Pages")
        || (node.get(b"Type").is_err() && node.has(b"Kids"))
}

/// The chain of `Parent` links above a page reaches an end: inherited attributes are looked up
/// along it, so a circle there would be walked forever.
fn parents_end(doc: &Document, page: ObjectId, node: &Dictionary) -> Result<(), PageTreeError> {
    let mut seen = HashSet::from([page]);
    let mut node = node;
    while let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) {
        if !seen.insert(parent) || seen.len() > MAX_TREE_DEPTH + 1 {
            return Err(PageTreeError::ParentLoop(page.0));
        }
        match doc.get_dictionary(parent) {
            Ok(next) => node = next,
            Err(_) => break,
        }
    }
    Ok(())
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(object),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF from numbered object bodies (object 1 is the catalog), with a correct xref.
    fn pdf(objects: &[&str]) -> Document {
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).bytes());
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for offset in offsets {
            out.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        out.extend(
            format!(
                "trailer << /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .bytes(),
        );
        Document::load_mem(&out).unwrap()
    }

    const CATALOG: &str = "<< /Type /Catalog /Pages 2 0 R >>";

    #[test]
    fn pages_come_in_tree_order() {
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R >>",
            "<< /Type /Page /Parent 3 0 R >>",
            "<< /Type /Page /Parent 3 0 R >>",
        ]);
        let ids: Vec<u32> = page_ids(&doc, 500).unwrap().iter().map(|id| id.0).collect();
        assert_eq!(ids, [5, 6, 4]);
        assert_eq!(page_ids(&doc, 2), Err(PageTreeError::TooManyPages(2)));
    }

    #[test]
    fn every_kind_of_loop_is_refused() {
        // The root is its own kid.
        let doc = pdf(&[CATALOG, "<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Repeated(2)));
        // A Kids array lists the same page three times.
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Kids [3 0 R 3 0 R 3 0 R] /Count 3 >>",
            "<< /Type /Page /Parent 2 0 R >>",
        ]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Repeated(3)));
        // A node two levels down lists the root again.
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>",
            "<< /Type /Pages /Parent 3 0 R /Kids [2 0 R 5 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 4 0 R >>",
        ]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Repeated(2)));
        // Two subtrees share a page.
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 3 0 R >>",
        ]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Repeated(5)));
        // The parent links loop above the page (inherited attributes would be looked up forever).
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Parent 3 0 R /Kids [4 0 R] /Count 1 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>",
            "<< /Type /Page /Parent 2 0 R >>",
        ]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::ParentLoop(4)));
        // A page that is its own parent.
        let doc = pdf(&[
            CATALOG,
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 3 0 R >>",
        ]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::ParentLoop(3)));
    }

    #[test]
    fn missing_trees_and_empty_trees() {
        let doc = pdf(&["<< /Type /Catalog >>"]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Missing));
        let doc = pdf(&[CATALOG, "<< /Type /Pages /Kids [] /Count 0 >>"]);
        assert_eq!(page_ids(&doc, 500), Err(PageTreeError::Missing));
    }
}
