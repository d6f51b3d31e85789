// The migrations are embedded in the binary (`sqlx::migrate!`); rebuild when one is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
