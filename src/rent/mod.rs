pub mod ladder;
pub mod ocr;
