//! A fixture shop on 127.0.0.1: `/p/{n}` is product `n` (title, price, brand in schema.org
//! microdata), which the heuristic agent reads without a miss.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use tokio::task::JoinHandle;

/// The products (title, price, brand); product `n` is `PRODUCTS[n % len]`.
pub const PRODUCTS: [(&str, &str, &str); 6] = [
    ("TrailRunner GTX Hiking Boot", "$149.99", "Northpeak"),
    ("Aero Electric Kettle 1.7L", "€39.90", "Kitchara"),
    ("Lumen LED Desk Lamp", "£64.00", "Brightwell"),
    ("Waxed Canvas Tote Bag", "$58.00", "Harbor & Co"),
    (
        "<img src=x onerror=alert(1)>",
        "$10.00",
        "<script>alert(2)</script>",
    ),
    ("Merino Wool Beanie", "€24.50", "Fjellstrikk"),
];

/// Product `n`.
pub fn product(n: usize) -> (&'static str, &'static str, &'static str) {
    PRODUCTS[n % PRODUCTS.len()]
}

/// The page of product `n`.
pub fn product_page(n: usize) -> String {
    let (title, price, brand) = product(n);
    super::shop::product_page(title, price, brand)
}

/// The running shop; stops when dropped.
pub struct Shop {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shop {
    /// Starts the shop on a random port.
    pub async fn start() -> Self {
        Self::start_with_delay(Duration::ZERO).await
    }

    /// Starts a shop whose pages take `delay` to answer (so a run lasts long enough to be
    /// paused by hand).
    pub async fn start_with_delay(delay: Duration) -> Self {
        let app = Router::new().route(
            "/p/{n}",
            get(move |Path(n): Path<usize>| async move {
                tokio::time::sleep(delay).await;
                Html(product_page(n))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("the local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Shop { addr, task }
    }

    /// The URL of product `n`.
    pub fn url(&self, n: usize) -> String {
        format!("http://{}/p/{n}", self.addr)
    }
}
