//! What every CSV import reads before its own columns: the file's text (UTF-8, or
//! Windows-1252 as Excel writes it), its delimiter (`;` from Norwegian Excel, `,` or tab),
//! and its header line mapped to the import's known columns — unknown, repeated and
//! missing columns reported in Norwegian as errors of the whole file. The dwelling and
//! lease imports share it, so a file that one accepts the other reads the same way.

use std::collections::HashMap;
use std::hash::Hash;
use std::io::Cursor;

/// A file whose header line was read: its records follow in `reader`.
pub struct Sheet<C> {
    pub encoding: &'static str,
    pub delimiter: char,
    /// Each known column's position in a record.
    pub index: HashMap<C, usize>,
    pub reader: csv::Reader<Cursor<Vec<u8>>>,
}

/// A file that cannot be read as the import's table, with what was learnt of it.
#[derive(Debug, Default)]
pub struct Unreadable {
    pub encoding: &'static str,
    pub delimiter: char,
    pub errors: Vec<String>,
}

/// The columns an import knows: each with the header names it accepts (compared without
/// case and spaces), those it requires, and the name to give in messages.
pub struct Columns<'a, C: 'static> {
    pub known: &'a [(C, &'a [&'a str])],
    pub required: &'a [C],
    /// Groups of columns of which the file must have at least one, with the message when
    /// it has none.
    pub one_of: &'a [(&'a [C], &'a str)],
    pub name: fn(C) -> &'static str,
}

/// Text of the file: UTF-8 (a byte order mark is dropped) or else Windows-1252.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), "Windows-1252")
        }
    }
}

/// Semicolon (Norwegian Excel), comma or tab, whichever the header line has most of.
pub fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let semi = header.matches(';').count();
    let comma = header.matches(',').count();
    let tab = header.matches('\t').count();
    if tab > semi && tab > comma {
        b'\t'
    } else if comma > semi {
        b','
    } else {
        b';'
    }
}

fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace('²', "2")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The known column a header names.
pub fn column_of<C: Copy>(known: &[(C, &[&str])], header: &str) -> Option<C> {
    let h = normalise_header(header);
    known
        .iter()
        .find_map(|(c, names)| names.iter().any(|n| normalise_header(n) == h).then_some(*c))
}

/// Reads the file's text and header line against `columns`.
pub fn open<C: Copy + Eq + Hash>(
    bytes: &[u8],
    columns: &Columns<'_, C>,
) -> Result<Sheet<C>, Unreadable> {
    let (text, encoding) = decode(bytes);
    let mut out = Unreadable {
        encoding,
        ..Unreadable::default()
    };
    if text.trim().is_empty() {
        out.errors.push("Filen er tom.".into());
        return Err(out);
    }
    let delimiter = detect_delimiter(&text);
    out.delimiter = delimiter as char;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(Cursor::new(text.into_bytes()));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => {
            out.errors
                .push("Første linje i filen kan ikke leses som kolonneoverskrifter.".into());
            return Err(out);
        }
    };
    let mut index: HashMap<C, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.trim().is_empty() {
            continue;
        }
        match column_of(columns.known, h) {
            Some(c) if index.contains_key(&c) => out.errors.push(format!(
                "Kolonnen «{}» står to ganger i første linje.",
                h.trim()
            )),
            Some(c) => {
                index.insert(c, i);
            }
            None => out.errors.push(format!(
                "Ukjent kolonne «{}». Bruk kolonnenavnene i malen.",
                h.trim()
            )),
        }
    }
    for c in columns.required {
        if !index.contains_key(c) {
            out.errors.push(format!(
                "Kolonnen «{}» mangler. Last ned malen for å se hvilke kolonner som trengs.",
                (columns.name)(*c)
            ));
        }
    }
    for (group, message) in columns.one_of {
        if !group.iter().any(|c| index.contains_key(c)) {
            out.errors.push((*message).to_string());
        }
    }
    if !out.errors.is_empty() {
        return Err(out);
    }
    Ok(Sheet {
        encoding,
        delimiter: out.delimiter,
        index,
        reader,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    enum Col {
        Unit,
        Area,
    }

    const KNOWN: &[(Col, &[&str])] = &[(Col::Unit, &["Bolignummer"]), (Col::Area, &["Areal m²"])];

    fn columns() -> Columns<'static, Col> {
        Columns {
            known: KNOWN,
            required: &[Col::Unit],
            one_of: &[],
            name: |c| match c {
                Col::Unit => "Bolignummer",
                Col::Area => "Areal m²",
            },
        }
    }

    #[test]
    fn reads_windows_1252_with_semicolons_and_maps_headers_without_case_or_spaces() {
        // "Areal m²" in Windows-1252: ² is 0xB2.
        let bytes = b"bolignummer;AREAL M\xB2\nH0101;52\n";
        let sheet = open(bytes, &columns()).expect("readable");
        assert_eq!(sheet.encoding, "Windows-1252");
        assert_eq!(sheet.delimiter, ';');
        assert_eq!(sheet.index[&Col::Unit], 0);
        assert_eq!(sheet.index[&Col::Area], 1);
        let rows: Vec<csv::StringRecord> = sheet.reader.into_records().flatten().collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "H0101");
    }

    #[test]
    fn names_unknown_repeated_and_missing_columns() {
        let err = open("Areal m2,Areal m²,Farge\n1,2,3\n".as_bytes(), &columns())
            .err()
            .expect("refused");
        assert_eq!(err.encoding, "UTF-8");
        assert_eq!(err.delimiter, ',');
        assert_eq!(
            err.errors,
            [
                "Kolonnen «Areal m²» står to ganger i første linje.",
                "Ukjent kolonne «Farge». Bruk kolonnenavnene i malen.",
                "Kolonnen «Bolignummer» mangler. Last ned malen for å se hvilke kolonner som trengs.",
            ]
        );
        let empty = open(b"\xEF\xBB\xBF  \n", &columns())
            .err()
            .expect("refused");
        assert_eq!(empty.errors, ["Filen er tom."]);
    }
}
