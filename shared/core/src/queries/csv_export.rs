//! `POST /v1/job-results` as CSV: one row per document (per line item for table fields).

use super::results::JobResultsView;
use crate::error::CoreError;
use crate::model::ExtractedField;
use crate::policy::spreadsheet_cell::neutralise;
use serde_json::{Map, Value};

/// CSV columns: job_id, document_id, file_name, status, pages, the static values, then the template's
/// fields in template order, then one `<field>__warnings` column per field holding its warning codes
/// separated by `;` (empty when none). A `table` field gives one column per table column
/// (`<field>.<column>`) and one CSV row per line item, the document's other values repeated on each;
/// a document without line items keeps one row. A list (`"match": "all"`) is a JSON array in its cell.
/// Text that a spreadsheet would run as a formula is quoted (`policy::spreadsheet_cell`).
pub fn results_csv(results: &JobResultsView) -> Result<String, CoreError> {
    let mut field_names: Vec<String> = Vec::new();
    // The columns of each table field, in the order first met.
    let mut table_columns: Vec<(String, Vec<String>)> = Vec::new();
    for doc in &results.documents {
        for field in doc.fields.iter().flatten() {
            if !field_names.contains(&field.name) {
                field_names.push(field.name.clone());
            }
            if let Some(rows) = table_rows(&field.value) {
                let at = match table_columns.iter().position(|(n, _)| *n == field.name) {
                    Some(at) => at,
                    None => {
                        table_columns.push((field.name.clone(), Vec::new()));
                        table_columns.len() - 1
                    }
                };
                for key in rows.iter().flat_map(|r| r.keys()) {
                    if !table_columns[at].1.contains(key) {
                        table_columns[at].1.push(key.clone());
                    }
                }
            }
        }
    }
    let columns_of = |name: &str| {
        table_columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    };
    let static_names: Vec<&String> = results.static_values.keys().collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["job_id", "document_id", "file_name", "status", "pages"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(static_names.iter().map(|s| s.to_string()));
    for name in &field_names {
        match columns_of(name) {
            Some(columns) => header.extend(columns.iter().map(|c| format!("{name}.{c}"))),
            None => header.push(name.clone()),
        }
    }
    header.extend(field_names.iter().map(|name| format!("{name}__warnings")));
    let header: Vec<String> = header.iter().map(|h| neutralise(h).into_owned()).collect();
    let csv_err = |e: csv::Error| CoreError::Internal(format!("csv: {e}"));
    out.write_record(&header).map_err(csv_err)?;
    for doc in &results.documents {
        let fields: Vec<Option<&ExtractedField>> = field_names
            .iter()
            .map(|name| doc.fields.iter().flatten().find(|f| f.name == *name))
            .collect();
        let line_items = fields
            .iter()
            .flatten()
            .filter_map(|f| table_rows(&f.value))
            .map(|rows| rows.len())
            .max()
            .unwrap_or(0)
            .max(1);
        for item in 0..line_items {
            let mut row = vec![
                results.job_id.to_string(),
                doc.document_id.to_string(),
                neutralise(&doc.file_name).into_owned(),
                doc.status.to_string(),
                doc.pages.to_string(),
            ];
            row.extend(
                static_names
                    .iter()
                    .map(|k| cell(results.static_values.get(*k))),
            );
            for (name, field) in field_names.iter().zip(&fields) {
                let value = field.map(|f| &f.value);
                match columns_of(name) {
                    Some(columns) => {
                        let line = value
                            .and_then(table_rows)
                            .and_then(|rows| rows.get(item).copied());
                        row.extend(columns.iter().map(|c| cell(line.and_then(|l| l.get(c)))));
                    }
                    None => row.push(cell(value)),
                }
            }
            row.extend(
                fields
                    .iter()
                    .map(|f| f.map(ExtractedField::warning_codes).unwrap_or_default()),
            );
            out.write_record(&row).map_err(csv_err)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CoreError::Internal(format!("csv: {e}")))
}

/// The line items of a `table` field's value: a list of objects.
fn table_rows(value: &Value) -> Option<Vec<&Map<String, Value>>> {
    let list = value.as_array()?;
    let rows: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
    (!rows.is_empty() && rows.len() == list.len()).then_some(rows)
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => neutralise(s).into_owned(),
        // Numbers and booleans print as a spreadsheet reads them; lists and objects start with `[`, `{`.
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DocumentId, JobId, TemplateId};
    use crate::model::{FieldWarning, Status, WarningCode};
    use crate::queries::DocumentResultView;
    use chrono::Utc;
    use serde_json::json;

    fn field(name: &str, value: Value, warnings: Vec<WarningCode>) -> ExtractedField {
        ExtractedField {
            name: name.into(),
            value,
            raw: None,
            page: Some(1),
            bbox: None,
            confidence: Some(1.0),
            warnings: warnings
                .into_iter()
                .map(|code| FieldWarning::new(code, "m"))
                .collect(),
        }
    }

    fn job_view(
        static_values: Map<String, Value>,
        documents: Vec<DocumentResultView>,
    ) -> JobResultsView {
        JobResultsView {
            job_id: JobId::random(),
            template_id: TemplateId::random(),
            status: Status::Success,
            static_values,
            completed_at: None,
            expires_at: Utc::now(),
            documents,
        }
    }

    #[test]
    fn csv_has_warning_columns_and_one_row_per_line_item() {
        let doc = |fields: Vec<ExtractedField>| DocumentResultView {
            document_id: DocumentId::random(),
            file_name: "a.pdf".into(),
            status: Status::ProcessImageSuccess,
            pages: 1,
            result: None,
            fields: Some(fields),
            error: None,
        };
        let items = json!([
            {"description": "Widget, blue", "qty": 2},
            {"description": "Gadget", "qty": 1}
        ]);
        let docs = vec![
            doc(vec![
                field(
                    "total",
                    json!(1234),
                    vec![
                        WarningCode::AmbiguousDecimalSeparator,
                        WarningCode::LowOcrConfidence,
                    ],
                ),
                field("items", items, vec![]),
                field("refs", json!(["A", "B"]), vec![]),
            ]),
            doc(vec![
                field("total", Value::Null, vec![]),
                field("items", Value::Null, vec![]),
                field("refs", Value::Null, vec![]),
            ]),
        ];
        let mut static_values = Map::new();
        static_values.insert("batch".into(), json!(7));
        let view = job_view(static_values, docs);
        let text = results_csv(&view).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header[5..],
            [
                "batch",
                "total",
                "items.description",
                "items.qty",
                "refs",
                "total__warnings",
                "items__warnings",
                "refs__warnings"
            ]
        );
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().skip(5).map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![
                    "7",
                    "1234",
                    "Widget, blue",
                    "2",
                    "[\"A\",\"B\"]",
                    "ambiguous_decimal_separator;low_ocr_confidence",
                    "",
                    ""
                ],
                vec![
                    "7",
                    "1234",
                    "Gadget",
                    "1",
                    "[\"A\",\"B\"]",
                    "ambiguous_decimal_separator;low_ocr_confidence",
                    "",
                    ""
                ],
                vec!["7", "", "", "", "", "", "", ""],
            ]
        );
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_stay_numbers() {
        let mut static_values = Map::new();
        static_values.insert("=ref".into(), json!("@SUM(A1:A9)"));
        static_values.insert("offset".into(), json!(-3));
        let items = json!([{"-desc": "+cmd|' /C calc'!A0", "qty": -2}]);
        let view = job_view(
            static_values,
            vec![DocumentResultView {
                document_id: DocumentId::random(),
                file_name: "=HYPERLINK(\"http://evil\").pdf".into(),
                status: Status::ProcessImageSuccess,
                pages: 1,
                result: None,
                fields: Some(vec![
                    field("note", json!("-1+2"), vec![]),
                    field("refund", json!(-12.5), vec![]),
                    field("items", items, vec![]),
                    field("tab", json!("\t=1"), vec![]),
                ]),
                error: None,
            }],
        );
        let text = results_csv(&view).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header[5..9], ["'=ref", "offset", "note", "refund"]);
        assert_eq!(header[9], "items.-desc");
        let row: Vec<String> = reader
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(row[2], "'=HYPERLINK(\"http://evil\").pdf");
        assert_eq!(
            row[5..12],
            [
                "'@SUM(A1:A9)",
                "-3",
                "'-1+2",
                "-12.5",
                "'+cmd|' /C calc'!A0",
                "-2",
                "'\t=1"
            ]
        );
    }
}
