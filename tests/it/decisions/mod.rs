//! HTTP tests of decisions (samlevedtak), the letter (HTML and PDF), and appeals.

mod appeals;
mod browser;
mod lawful_browser;
mod mandatory_texts;
mod workflow;
