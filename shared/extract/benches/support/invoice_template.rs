//! The invoice fixture's template and the value each of its fields must take, for the benches that
//! count fields right (processing, ocr_engines).

use pagewire_core::ids::{TemplateId, TenantId};
use pagewire_core::model::{DateOrder, FieldRule, FieldSpec, FieldType, LabelDirection, Template};
use serde_json::{json, Value};

pub fn template() -> Template {
    let field = |name: &str, field_type, rule| FieldSpec::new(name, field_type, rule);
    let label = |l: &str, direction| FieldRule::Label {
        label: l.into(),
        direction,
    };
    Template {
        id: TemplateId::random(),
        tenant_id: TenantId::random(),
        name: "invoice".into(),
        date_order: Some(DateOrder::DayMonthYear),
        decimal_separator: None,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        fields: vec![
            field(
                "vendor",
                FieldType::Text,
                FieldRule::Region {
                    page: Some(1),
                    x: 0.05,
                    y: 0.03,
                    width: 0.5,
                    height: 0.06,
                },
            ),
            field(
                "invoice_number",
                FieldType::Text,
                label("Invoice Number:", LabelDirection::Right),
            ),
            field(
                "invoice_date",
                FieldType::Date,
                label("Invoice Date:", LabelDirection::Right),
            ),
            field(
                "due_date",
                FieldType::Date,
                label("Due Date:", LabelDirection::Right),
            ),
            field(
                "customer",
                FieldType::Text,
                label("Bill To:", LabelDirection::Below),
            ),
            field(
                "quantity",
                FieldType::Number,
                label("Qty", LabelDirection::Below),
            ),
            field(
                "total",
                FieldType::Money,
                FieldRule::Regex {
                    pattern: r"Total Due:\s*(\S+)".into(),
                    group: None,
                },
            ),
            field(
                "po_number",
                FieldType::Text,
                label("PO Number:", LabelDirection::Right),
            ),
        ],
        version: 0,
    }
}

pub fn expected() -> Vec<Value> {
    vec![
        json!("ACME Corporation"),
        json!("INV-2024-001"),
        json!("2024-03-15"),
        json!("2024-04-14"),
        json!("Globex Ltd"),
        json!(10),
        json!(1234.56),
        Value::Null,
    ]
}
