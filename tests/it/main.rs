//! Integration tests: real HTTP against a real server over a fresh PostgreSQL database per
//! test, plus browser journeys in headless Chromium. Run with `scripts/test`.

mod common;

mod admin;
mod allocation;
mod applications;
mod auth;
mod browser_foundation;
mod citus;
mod dashboard;
mod dashboard_browser;
mod decisions;
mod dwellings;
mod isolation;
mod jobs;
mod leases;
mod leases_cpi;
mod leases_import;
mod leases_retention;
mod leases_seed;
mod meetings;
mod menu;
pub mod privacy;
mod production;
mod provisioning;
mod reliability;
mod rent;
mod rent_arrears;
mod rent_ocr;
mod rent_settings;
mod reporting;
mod reporting_browser;
mod request_login;
mod retention_audit;
mod scale;
mod settings;
mod tenancy;
mod ux_browser;
