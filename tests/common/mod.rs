//! Shared by the engine and fault tests: the fixture server, the services they need
//! (Chromium, Postgres), waiting on conditions, and reading back what an execution did.

#![allow(dead_code)] // each test binary uses a different part

#[cfg(feature = "postgres")]
pub mod cluster;
pub mod fixture;
pub mod harness;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod processes;
pub mod runs;
mod services;
pub mod shop;
mod wait;

pub use services::*;
#[allow(unused_imports)] // each test binary uses a different part
pub use wait::wait_until;

/// The products of the offline demo shop (title, price, brand), which the heuristic agent
/// reads without a miss; rows cycle through them.
pub const PRODUCTS: [(&str, &str, &str); 12] = [
    ("TrailRunner GTX Hiking Boot", "$149.99", "Northpeak"),
    ("Aero Electric Kettle 1.7L", "€39.90", "Kitchara"),
    ("Lumen LED Desk Lamp", "£64.00", "Brightwell"),
    ("Waxed Canvas Tote Bag", "$58.00", "Harbor & Co"),
    ("Conical Burr Espresso Grinder", "$229.00", "Crema Works"),
    ("Pro Grip Yoga Mat 6mm", "$79.95", "Asana Labs"),
    ("Merino Wool Beanie", "€24.50", "Fjellstrikk"),
    ("QuietPods Noise-Cancelling Earbuds", "$129.00", "Sonique"),
    ("Cast Iron Skillet 28 cm", "€44.99", "Ferrum"),
    (
        "Dot Grid Field Notebook (3-pack)",
        "$14.00",
        "Papeterie North",
    ),
    ("Beacon 800 Bike Light Set", "$54.90", "Velolux"),
    ("Speckled Ceramic Planter, Large", "£36.00", "Kiln & Leaf"),
];

/// The product shown on row `i`.
pub fn product(i: usize) -> (&'static str, &'static str, &'static str) {
    PRODUCTS[i % PRODUCTS.len()]
}
