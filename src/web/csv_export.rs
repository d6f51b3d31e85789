//! CSV downloads as Norwegian Excel opens them: UTF-8 with a byte order mark, semicolons.

use axum::http::header;
use axum::response::{IntoResponse, Response};

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
        let _ = w.write_record(header_row);
        for r in rows {
            let _ = w.write_record(&r);
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
