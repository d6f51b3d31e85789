//! PDF rendering of letters with typst (a Rust typesetting library, in process): real line
//! breaking and pagination, embedded fonts (DejaVu Sans, see assets/fonts/README), and
//! selectable text. No browser or external service is involved.

use std::sync::OnceLock;

use typst::foundations::{Dict, Str, Value};
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use super::Block;

static TEMPLATE: &str = include_str!("../../templates/letters/letter.typ");
static FONTS: [&[u8]; 3] = [
    include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSans-Oblique.ttf"),
];

fn engine() -> &'static TypstEngine<typst_as_lib::TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<typst_as_lib::TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .main_file(TEMPLATE)
            .fonts(FONTS)
            .build()
    })
}

#[derive(serde::Serialize)]
struct Input<'a> {
    title: &'a str,
    author: &'a str,
    footer: &'a str,
    blocks: &'a [Block],
}

/// Typesets `blocks` into a PDF. CPU-bound: call it from `spawn_blocking`, outside any
/// database transaction.
pub fn render(
    title: &str,
    author: &str,
    footer: &str,
    blocks: &[Block],
) -> anyhow::Result<Vec<u8>> {
    let json = serde_json::to_string(&Input {
        title,
        author,
        footer,
        blocks,
    })?;
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Value::Str(Str::from(json)));
    let doc: PagedDocument = engine()
        .compile_with_input(inputs)
        .output
        .map_err(|e| anyhow::anyhow!("typesetting the letter failed: {e:?}"))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| anyhow::anyhow!("writing the PDF failed: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_selectable_norwegian_text_across_pages() {
        let mut blocks = vec![
            Block::Address("Levanger kommune".into()),
            Block::Right("Dato: 24.11.2026".into()),
            Block::Title("Vedtak om kommunal bolig".into()),
        ];
        for i in 0..80 {
            blocks.push(Block::Paragraph(format!(
                "Avsnitt {i} med æøå ÆØÅ og § 27 klagerett."
            )));
        }
        blocks.push(Block::Item("Klagefrist: 15.12.2026".into()));
        let pdf = render("Vedtak", "Levanger kommune", "Saksnr. 2026/0001", &blocks).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(text.contains("Vedtak om kommunal bolig"), "{text}");
        assert!(text.contains("æøå ÆØÅ"));
        assert!(text.contains("Avsnitt 79"));
        assert!(text.contains("Klagefrist: 15.12.2026"));
        assert!(
            text.contains("Side 2 av"),
            "the letter spans pages with numbering: {text}"
        );
    }

    #[test]
    fn user_text_is_not_typst_markup() {
        let blocks = vec![Block::Paragraph(
            "#panic(\"x\") *ikke fet* $x^2$ @ref <label>".into(),
        )];
        let pdf = render("T", "A", "F", &blocks).unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(text.contains("#panic(\"x\")"), "{text}");
        assert!(text.contains("*ikke fet*"));
    }
}
