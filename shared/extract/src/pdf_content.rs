//! A streaming reader of PDF content streams: operations come out one at a time, so a page's cost is
//! bounded while it is decoded, not after everything has been materialised.
//!
//! lopdf's `Content::decode` builds every operation of a stream before the first one is looked at: a
//! 32 KB page of millions of `q` becomes gigabytes. Here the operand stack of one operation, the nesting
//! of arrays and dictionaries inside it, and the number of operations of a page are all counted as the
//! bytes are read, and reading stops with [`ContentError`] at the first budget crossed.
//!
//! Syntax errors are not errors: viewers skip what they do not understand and so does this reader (a
//! stray `)` or `}` is dropped), because many real writers produce sloppy streams.

use lopdf::content::Operation;
use lopdf::{Dictionary, Object, StringFormat};

/// What one page's content stream may cost.
#[derive(Debug, Clone, Copy)]
pub struct ContentBudget {
    /// Operations of the page.
    pub max_operations: usize,
    /// Operands of one operation, counting every item inside its arrays and dictionaries.
    pub max_operands: usize,
    /// Arrays and dictionaries open at once inside one operation.
    pub max_depth: usize,
}

impl Default for ContentBudget {
    fn default() -> Self {
        Self {
            // A dense text page has tens of thousands of operations; a detailed vector drawing some
            // hundreds of thousands. Two million is well past what real pages use.
            max_operations: 2_000_000,
            // A TJ array of a long, kerned line holds a few hundred items.
            max_operands: 65_536,
            max_depth: 32,
        }
    }
}

/// Why a content stream was not read to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the page has more than {0} drawing operations")]
    TooManyOperations(usize),
    #[error("an operation of the page has more than {0} operands")]
    TooManyOperands(usize),
    #[error("an operation of the page nests arrays or dictionaries more than {0} deep")]
    TooDeep(usize),
}

/// An array or dictionary being read; a dictionary waits for its key's value.
enum Open {
    Array(Vec<Object>),
    Dict(Dictionary, Option<Vec<u8>>),
}

/// Yields the operations of a content stream in order, within a [`ContentBudget`].
pub struct ContentReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    budget: ContentBudget,
    operations: usize,
    failed: bool,
}

impl<'a> ContentReader<'a> {
    pub fn new(bytes: &'a [u8], budget: ContentBudget) -> Self {
        Self {
            bytes,
            pos: 0,
            budget,
            operations: 0,
            failed: false,
        }
    }

    /// Operations read so far.
    pub fn operations(&self) -> usize {
        self.operations
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips white space and comments.
    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\r' || b == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A run of regular characters (a number, keyword or operator).
    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// A name after its `/`, with `#xx` escapes undone.
    fn name(&mut self) -> Vec<u8> {
        self.pos += 1;
        let raw = self.regular_run();
        let mut name = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#' {
                if let Some(byte) = raw.get(i + 1..i + 3).and_then(hex_byte) {
                    name.push(byte);
                    i += 3;
                    continue;
                }
            }
            name.push(raw[i]);
            i += 1;
        }
        name
    }

    /// A literal string after its `(`: balanced parentheses, backslash escapes; an unclosed string
    /// runs to the end of the stream.
    fn literal_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' if depth == 0 => break,
                b')' => {
                    depth -= 1;
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                // An end of line inside a string is read as a single newline.
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(b) = self.peek() else { return };
        self.pos += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'0'..=b'7' => {
                let mut value = (b - b'0') as u32;
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + (d - b'0') as u32;
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            // A backslash before an end of line continues the string on the next line.
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
    }

    /// A hex string after its `<`; an odd last digit counts as followed by 0.
    fn hex_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            let Some(digit) = hex_digit(b) else { continue };
            match high.take() {
                None => high = Some(digit),
                Some(h) => out.push(h << 4 | digit),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    /// Skips an inline image's data after `ID`: up to an `EI` between white space (or the end).
    fn skip_inline_image(&mut self) {
        // One white-space byte separates `ID` from the data.
        self.pos += 1;
        let data = &self.bytes[self.pos.min(self.bytes.len())..];
        let mut i = 0;
        while i + 1 < data.len() {
            if data[i] == b'E'
                && data[i + 1] == b'I'
                && (i == 0 || is_space(data[i - 1]))
                && data
                    .get(i + 2)
                    .is_none_or(|b| is_space(*b) || is_delimiter(*b))
            {
                self.pos += i + 2;
                return;
            }
            i += 1;
        }
        self.pos = self.bytes.len();
    }

    /// Puts a finished operand where it belongs: in the innermost open array or dictionary, or on
    /// the operation's operand stack.
    fn place(object: Object, open: &mut [Open], operands: &mut Vec<Object>) {
        match open.last_mut() {
            None => operands.push(object),
            Some(Open::Array(items)) => items.push(object),
            Some(Open::Dict(dict, key)) => match key.take() {
                Some(key) => dict.set(key, object),
                // A value without a key is dropped, as viewers do.
                None => {
                    if let Object::Name(name) = object {
                        *key = Some(name);
                    }
                }
            },
        }
    }

    /// Steps over one object (a number, string, name, array, dictionary, or `n g R` counted as
    /// three), building nothing, and says how many tokens it held: what parsing it would cost.
    /// Stops at [`ContentBudget::max_operands`] tokens or [`ContentBudget::max_depth`] levels.
    pub fn skip_object(&mut self) -> Result<usize, ContentError> {
        let mut depth = 0usize;
        let mut tokens = 0usize;
        loop {
            self.skip_space();
            let Some(b) = self.peek() else {
                return Ok(tokens);
            };
            tokens += 1;
            if tokens > self.budget.max_operands {
                return Err(ContentError::TooManyOperands(self.budget.max_operands));
            }
            let pair = self.bytes.get(self.pos + 1) == Some(&b);
            match b {
                b'[' | b'<' if b == b'[' || pair => {
                    self.pos += if b == b'[' { 1 } else { 2 };
                    depth += 1;
                    if depth > self.budget.max_depth {
                        return Err(ContentError::TooDeep(self.budget.max_depth));
                    }
                    continue;
                }
                b']' | b'>' if b == b']' || pair => {
                    self.pos += if b == b']' { 1 } else { 2 };
                    depth = depth.saturating_sub(1);
                }
                b'/' => {
                    self.name();
                }
                b'(' => {
                    self.literal_string();
                }
                b'<' => {
                    self.hex_string();
                }
                _ => {
                    if self.regular_run().is_empty() {
                        self.pos += 1;
                    }
                }
            }
            if depth == 0 {
                // `n g R` is one reference: step over the generation and the `R` as well.
                let mark = self.pos;
                let mut rest = ContentReader::new(&self.bytes[mark..], self.budget);
                rest.skip_space();
                let generation = rest.regular_run();
                rest.skip_space();
                if !generation.is_empty()
                    && generation.iter().all(u8::is_ascii_digit)
                    && rest.regular_run() == b"R"
                {
                    self.pos = mark + rest.pos;
                    tokens += 2;
                }
                return Ok(tokens);
            }
        }
    }

    fn next_operation(&mut self) -> Result<Option<Operation>, ContentError> {
        let mut operands: Vec<Object> = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        // Every operand and nested item of this operation, for the operand budget.
        let mut items = 0usize;
        loop {
            self.skip_space();
            let Some(b) = self.peek() else {
                return Ok(None);
            };
            if items > self.budget.max_operands {
                return Err(ContentError::TooManyOperands(self.budget.max_operands));
            }
            let object = match b {
                b'/' => Object::Name(self.name()),
                b'(' => Object::String(self.literal_string(), StringFormat::Literal),
                b'<' if self.bytes.get(self.pos + 1) == Some(&b'<') => {
                    self.pos += 2;
                    if open.len() >= self.budget.max_depth {
                        return Err(ContentError::TooDeep(self.budget.max_depth));
                    }
                    open.push(Open::Dict(Dictionary::new(), None));
                    items += 1;
                    continue;
                }
                b'<' => Object::String(self.hex_string(), StringFormat::Hexadecimal),
                b'[' => {
                    self.pos += 1;
                    if open.len() >= self.budget.max_depth {
                        return Err(ContentError::TooDeep(self.budget.max_depth));
                    }
                    open.push(Open::Array(Vec::new()));
                    items += 1;
                    continue;
                }
                b']' => {
                    self.pos += 1;
                    match open.pop() {
                        Some(Open::Array(list)) => Object::Array(list),
                        // A `]` that closes nothing (or a dictionary) is dropped.
                        Some(dict @ Open::Dict(..)) => {
                            open.push(dict);
                            continue;
                        }
                        None => continue,
                    }
                }
                b'>' if self.bytes.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    match open.pop() {
                        Some(Open::Dict(dict, _)) => Object::Dictionary(dict),
                        Some(array @ Open::Array(_)) => {
                            open.push(array);
                            continue;
                        }
                        None => continue,
                    }
                }
                // Stray closing delimiters and PostScript braces mean nothing here.
                b')' | b'>' | b'{' | b'}' => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let word = self.regular_run();
                    if word.is_empty() {
                        // Not reachable with the byte classes above; never loop on a stuck byte.
                        self.pos += 1;
                        continue;
                    }
                    match word {
                        b"true" => Object::Boolean(true),
                        b"false" => Object::Boolean(false),
                        b"null" => Object::Null,
                        _ => match number(word) {
                            Some(n) => n,
                            None if open.is_empty() => {
                                return self.operation(word, operands).map(Some);
                            }
                            // An operator inside an unclosed array: the array was never closed.
                            None => {
                                while let Some(unclosed) = open.pop() {
                                    let object = match unclosed {
                                        Open::Array(list) => Object::Array(list),
                                        Open::Dict(dict, _) => Object::Dictionary(dict),
                                    };
                                    Self::place(object, &mut open, &mut operands);
                                }
                                return self.operation(word, operands).map(Some);
                            }
                        },
                    }
                }
            };
            items += 1;
            Self::place(object, &mut open, &mut operands);
        }
    }

    /// Counts one operation against the budget; `BI` takes its image data with it.
    fn operation(
        &mut self,
        operator: &[u8],
        operands: Vec<Object>,
    ) -> Result<Operation, ContentError> {
        self.operations += 1;
        if self.operations > self.budget.max_operations {
            return Err(ContentError::TooManyOperations(self.budget.max_operations));
        }
        if operator == b"ID" {
            self.skip_inline_image();
        }
        Ok(Operation::new(&String::from_utf8_lossy(operator), operands))
    }
}

impl Iterator for ContentReader<'_> {
    type Item = Result<Operation, ContentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_operation().transpose();
        if matches!(next, Some(Err(_))) {
            self.failed = true;
        }
        next
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?)
}

/// An integer or a real as PDF writes them (`12`, `-3`, `.5`, `4.`); anything else is not a number.
fn number(word: &[u8]) -> Option<Object> {
    let text = std::str::from_utf8(word).ok()?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if !digits.contains('.') {
        return Some(match text.parse::<i64>() {
            Ok(i) => Object::Integer(i),
            // Digits too many for an integer still say a (huge) number.
            Err(_) => Object::Real(text.parse::<f32>().ok()?),
        });
    }
    if digits.matches('.').count() > 1 || digits == "." {
        return None;
    }
    let normalised = if digits.ends_with('.') {
        format!("{text}0")
    } else {
        text.to_string()
    };
    normalised.parse::<f32>().ok().map(Object::Real)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(content: &[u8]) -> Vec<Operation> {
        ContentReader::new(content, ContentBudget::default())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn operators(content: &[u8]) -> Vec<String> {
        ops(content).into_iter().map(|op| op.operator).collect()
    }

    #[test]
    fn reads_operators_and_their_operands() {
        let read = ops(b"BT /F1 12 Tf 1 0 0 1 72.5 -.5 Tm (Hello) Tj ET");
        let names: Vec<&str> = read.iter().map(|op| op.operator.as_str()).collect();
        assert_eq!(names, ["BT", "Tf", "Tm", "Tj", "ET"]);
        assert_eq!(
            read[1].operands,
            vec![Object::Name(b"F1".to_vec()), Object::Integer(12)]
        );
        assert_eq!(read[2].operands[4], Object::Real(72.5));
        assert_eq!(read[2].operands[5], Object::Real(-0.5));
        assert_eq!(
            read[3].operands,
            vec![Object::String(b"Hello".to_vec(), StringFormat::Literal)]
        );
    }

    #[test]
    fn strings_keep_nesting_escapes_and_hex() {
        let read = ops(b"(a (nested) \\) \\(x\\101\\n\\\\ b\\\nc) Tj <48 65 6c6C 6> Tj");
        assert_eq!(
            read[0].operands[0],
            Object::String(b"a (nested) ) (xA\n\\ bc".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            read[1].operands[0],
            Object::String(b"Hell`".to_vec(), StringFormat::Hexadecimal)
        );
        // Delimiters inside strings are text, not syntax.
        assert_eq!(operators(b"(Q q ] >> [) Tj"), ["Tj"]);
    }

    #[test]
    fn arrays_dictionaries_and_names() {
        let read = ops(b"[(A) -120 (B)] TJ /Span << /MCID 3 /Alt (x) /N#20a [1 [2]] >> BDC EMC");
        assert_eq!(read[0].operator, "TJ");
        let Object::Array(items) = &read[0].operands[0] else {
            panic!("{:?}", read[0])
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1], Object::Integer(-120));
        assert_eq!(read[1].operator, "BDC");
        let Object::Dictionary(props) = &read[1].operands[1] else {
            panic!("{:?}", read[1])
        };
        assert_eq!(props.get(b"MCID").unwrap(), &Object::Integer(3));
        assert!(props.get(b"N a").unwrap().as_array().is_ok());
        assert_eq!(read[2].operator, "EMC");
    }

    #[test]
    fn inline_images_are_skipped_whole() {
        // The image data holds bytes that look like operators and delimiters.
        let content = b"q BI /W 2 /H 2 /BPC 8 /CS /G ID \x00(Tj]EIx EI\xff Q EI Q BT (after) Tj ET";
        assert_eq!(operators(content), ["q", "BI", "ID", "Q", "BT", "Tj", "ET"]);
    }

    #[test]
    fn comments_and_stray_delimiters_are_ignored() {
        assert_eq!(
            operators(b"% a comment (\nq ) } { 1 0 0 1 0 0 cm % more\nQ ]"),
            ["q", "cm", "Q"]
        );
        // An array that is never closed ends at its operator.
        let read = ops(b"[(A) 1 TJ Q");
        assert_eq!(read[0].operator, "TJ");
        assert!(read[0].operands[0].as_array().is_ok());
    }

    #[test]
    fn budgets_stop_reading_as_soon_as_they_are_crossed() {
        let budget = ContentBudget {
            max_operations: 1_000,
            max_operands: 100,
            max_depth: 4,
        };
        let bomb = b"q ".repeat(1_000_000);
        let mut reader = ContentReader::new(&bomb, budget);
        let read: Vec<_> = reader.by_ref().collect();
        assert_eq!(read.len(), 1_001);
        assert_eq!(
            read.last().unwrap().as_ref().unwrap_err(),
            &ContentError::TooManyOperations(1_000)
        );
        assert_eq!(reader.operations(), 1_001);
        assert!(reader.next().is_none(), "nothing after a crossed budget");

        let operands = b"1 ".repeat(10_000);
        let first = ContentReader::new(&operands, budget).next().unwrap();
        assert_eq!(first.unwrap_err(), ContentError::TooManyOperands(100));

        let deep = b"[".repeat(100_000);
        let first = ContentReader::new(&deep, budget).next().unwrap();
        assert_eq!(first.unwrap_err(), ContentError::TooDeep(4));
        let deep = b"<<".repeat(100_000);
        let first = ContentReader::new(&deep, budget).next().unwrap();
        assert_eq!(first.unwrap_err(), ContentError::TooDeep(4));
    }

    #[test]
    fn objects_are_stepped_over_and_their_tokens_counted() {
        let budget = ContentBudget::default();
        let mut reader = ContentReader::new(b"[1 (a]) <</K [2 3] /R 4 0 R>>] 12 0 R /Next", budget);
        // [ 1 (a]) << /K [ 2 3 ] /R 4 0 R >> ]
        assert_eq!(reader.skip_object(), Ok(15));
        assert_eq!(reader.skip_object(), Ok(3));
        assert_eq!(reader.skip_object(), Ok(1));
        assert_eq!(reader.skip_object(), Ok(0));
        let big = [b"[".as_slice(), &b"0 ".repeat(10_000), b"]"].concat();
        let small = ContentBudget {
            max_operands: 1_000,
            ..budget
        };
        assert_eq!(
            ContentReader::new(&big, small).skip_object(),
            Err(ContentError::TooManyOperands(1_000))
        );
        assert_eq!(
            ContentReader::new(&b"<<".repeat(1_000), budget).skip_object(),
            Err(ContentError::TooDeep(32))
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"42"), Some(Object::Integer(42)));
        assert_eq!(number(b"-3."), Some(Object::Real(-3.0)));
        assert_eq!(number(b"+.25"), Some(Object::Real(0.25)));
        assert_eq!(number(b"1.2.3"), None);
        assert_eq!(number(b"-"), None);
        assert_eq!(number(b"Tj"), None);
        assert!(matches!(
            number(b"99999999999999999999999"),
            Some(Object::Real(_))
        ));
    }
}
