//! CSV downloads as Norwegian Excel opens them: UTF-8 with a byte order mark, semicolons.
//! Every CSV download goes through [`response`], which also defuses spreadsheet formulas.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return or NUL first) gets a leading `'` so it shows as text: a name like `=HYPERLINK(...)` typed
/// by an applicant must not run in a caseworker's Excel. Numbers such as `-5` get it too,
/// as OWASP recommends; the cell still reads as the same text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

pub fn response(
    filename: &str,
    header_row: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Response {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let _ = w.write_record(header_row.iter().map(|c| neutralise(c).into_owned()));
        for r in rows {
            let _ = w.write_record(r.iter().map(|c| neutralise(c).into_owned()));
        }
        let _ = w.flush();
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", filename.replace('"', "")),
            ),
        ],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_others_left_alone() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"https://evil.example\";\"Klikk\")",
                "'=HYPERLINK(\"https://evil.example\";\"Klikk\")",
            ),
            ("+47 12345678", "'+47 12345678"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Kari Nordmann", "Kari Nordmann"),
            ("a=b", "a=b"),
            ("", ""),
            ("12", "12"),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
    }

    #[tokio::test]
    async fn the_writer_neutralises_every_cell() {
        let res = response(
            "x.csv",
            &["Navn", "=Kolonne"],
            vec![vec!["=1+1".to_string(), "ok".to_string()]],
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text, "\u{feff}Navn;'=Kolonne\n'=1+1;ok\n");
    }
}
