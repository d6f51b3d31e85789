//! Letters (decisions, interim replies, offers, minutes) are written once, as an askama
//! text template in a tiny line markup, and rendered from the same blocks both as HTML
//! (print-ready page) and as PDF (typst), so the two can never say different things.
//!
//! Markup, one block per line:
//! `# ` title · `## ` heading · `### ` subheading · `- ` list item · `@ ` address line
//! (no spacing) · `> ` right-aligned line · `| ` verbatim text (user input; never
//! interpreted) · other lines join into a paragraph · a blank line ends a paragraph.

pub mod archive;
pub mod commands;
pub mod mandatory;
pub mod pdf;
pub mod repo;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Block {
    Title(String),
    Heading(String),
    Subheading(String),
    Paragraph(String),
    Item(String),
    Address(String),
    Right(String),
}

impl Block {
    pub fn kind(&self) -> &'static str {
        match self {
            Block::Title(_) => "title",
            Block::Heading(_) => "heading",
            Block::Subheading(_) => "subheading",
            Block::Paragraph(_) => "paragraph",
            Block::Item(_) => "item",
            Block::Address(_) => "address",
            Block::Right(_) => "right",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Block::Title(t)
            | Block::Heading(t)
            | Block::Subheading(t)
            | Block::Paragraph(t)
            | Block::Item(t)
            | Block::Address(t)
            | Block::Right(t) => t,
        }
    }
}

type MakeBlock = fn(String) -> Block;

pub fn parse(markup: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<String> = Vec::new();
    let flush = |para: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(para.join(" ")));
            para.clear();
        }
    };
    for raw in markup.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            flush(&mut para, &mut blocks);
            continue;
        }
        const MARKERS: [(&str, MakeBlock); 6] = [
            ("### ", Block::Subheading),
            ("## ", Block::Heading),
            ("# ", Block::Title),
            ("- ", Block::Item),
            ("@ ", Block::Address),
            ("> ", Block::Right),
        ];
        let block = MARKERS.iter().find_map(|(marker, make)| {
            trimmed
                .strip_prefix(marker)
                .map(|t| make(t.trim().to_owned()))
        });
        match block {
            Some(b) => {
                flush(&mut para, &mut blocks);
                blocks.push(b);
            }
            None => {
                let text = trimmed
                    .strip_prefix("| ")
                    .or_else(|| trimmed.strip_prefix('|'))
                    .unwrap_or(trimmed);
                if text.trim().is_empty() {
                    flush(&mut para, &mut blocks);
                } else {
                    para.push(text.trim().to_owned());
                }
            }
        }
    }
    flush(&mut para, &mut blocks);
    blocks
}

/// Splits user text into lines for the `| ` verbatim marker, so nothing a user typed is
/// read as markup. Blank lines separate paragraphs.
pub fn verbatim_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().to_owned()).collect()
}

/// All the text of the letter, for tests and search.
pub fn plain_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(Block::text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks() {
        let b = parse("@ Levanger kommune\n@ Postboks 130\n> Dato: 24.11.2026\n\n# Vedtak\n\nFørste linje\nfortsetter her.\n\n## Klage\n- Frist\n- Klageinstans\n| # ikke en overskrift\n");
        assert_eq!(
            b,
            vec![
                Block::Address("Levanger kommune".into()),
                Block::Address("Postboks 130".into()),
                Block::Right("Dato: 24.11.2026".into()),
                Block::Title("Vedtak".into()),
                Block::Paragraph("Første linje fortsetter her.".into()),
                Block::Heading("Klage".into()),
                Block::Item("Frist".into()),
                Block::Item("Klageinstans".into()),
                Block::Paragraph("# ikke en overskrift".into()),
            ]
        );
    }

    #[test]
    fn user_text_cannot_inject_structure() {
        let user = "# Falsk overskrift\n- falsk punkt\n\nNytt avsnitt";
        let markup: String = verbatim_lines(user)
            .iter()
            .map(|l| format!("| {l}\n"))
            .collect();
        let b = parse(&markup);
        assert!(b.iter().all(|x| matches!(x, Block::Paragraph(_))), "{b:?}");
        assert_eq!(b.len(), 2);
    }
}
