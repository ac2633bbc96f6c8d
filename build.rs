//! `sqlx::migrate!` embeds the migration files at compile time; without this, adding a
//! migration would not rebuild the binary that must carry it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
