//! The streaming content-stream reader (`pagewire_extract::pdf_content`) on random and damaged
//! content: never a panic, output bounded by the budget whatever the bytes.

use crate::{apply, bounded, config, mutations};
use pagewire_extract::pdf_content::{ContentBudget, ContentError, ContentReader};
use proptest::prelude::*;

const BUDGET: ContentBudget = ContentBudget {
    max_operations: 500,
    max_operands: 200,
    max_depth: 8,
};

/// Content of a real text page, with every construct the reader knows.
const PAGE: &[u8] = b"q 1 0 0 1 0 0 cm BT /F1 12 Tf 72 700 Td (Invoice \\(draft\\) \\101\\n) Tj \
    [(A) -120 <4142> 3.5 (C)] TJ 0 -14 TD /Span << /MCID 3 /Alt (x) /N#20a [1 [2]] >> BDC \
    (line) ' 1 2 (x) \" EMC ET % comment\n BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xff EI Q";

/// Reads everything and checks the bounds: operations and operands within the budget, the
/// reader stops at its first error.
fn check(bytes: &[u8]) {
    bounded("pdf_content", || {
        let mut reader = ContentReader::new(bytes, BUDGET);
        let mut operations = 0;
        let mut errors = 0;
        for next in reader.by_ref() {
            match next {
                Ok(op) => {
                    operations += 1;
                    assert!(op.operands.len() <= BUDGET.max_operands + 1);
                    assert!(!op.operator.is_empty());
                }
                Err(
                    ContentError::TooManyOperations(_)
                    | ContentError::TooManyOperands(_)
                    | ContentError::TooDeep(_),
                ) => errors += 1,
            }
        }
        assert!(operations <= BUDGET.max_operations);
        assert!(errors <= 1);
        assert!(reader.operations() <= BUDGET.max_operations + 1);
        // Stepping over objects stays within the same bounds.
        let mut objects = ContentReader::new(bytes, BUDGET);
        for _ in 0..64 {
            match objects.skip_object() {
                Ok(0) | Err(_) => break,
                Ok(tokens) => assert!(tokens <= BUDGET.max_operands + 3),
            }
        }
    });
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn random_bytes_read_within_the_budget(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes);
    }

    #[test]
    fn random_pdf_syntax_reads_within_the_budget(
        tokens in prop::collection::vec(
            prop_oneof![
                Just("q "), Just("Q "), Just("[ "), Just("] "), Just("<< "), Just(">> "),
                Just("("), Just(")"), Just("\\"), Just("<41"), Just("> "), Just("/N "),
                Just("12 "), Just("-.5 "), Just("Tj "), Just("BI "), Just("ID "), Just(" EI "),
                Just("%\n"), Just("{ "), Just("} "),
            ],
            0..600,
        ),
    ) {
        check(tokens.concat().as_bytes());
    }

    #[test]
    fn damaged_real_content_reads_within_the_budget(damage in mutations()) {
        check(PAGE);
        check(&apply(PAGE.to_vec(), &damage));
    }
}

#[test]
fn the_real_page_reads_whole() {
    let operators: Vec<String> = ContentReader::new(PAGE, BUDGET)
        .map(|op| op.unwrap().operator)
        .collect();
    assert_eq!(
        operators,
        [
            "q", "cm", "BT", "Tf", "Td", "Tj", "TJ", "TD", "BDC", "'", "\"", "EMC", "ET", "BI",
            "ID", "Q"
        ]
    );
}
