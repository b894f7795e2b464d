//! Lists of values written in one cell.

use super::text::fold;

/// Separators tried in order: the first one present in a value splits it. Newlines and `;`
/// come before `,` so that items holding commas (`Doe, Jane; Roe, Rick`) stay whole.
pub const DEFAULT_SEPARATORS: &str = "\n;|,";

/// The items of a list value, folded as text (see [`super::text`]), without empty items or
/// duplicates, sorted so that order does not matter.
///
/// The value is split by the first of `separators` it contains (each side of a comparison
/// chooses its own, so `a; b` matches `b, a`).
pub fn list_items(s: &str, separators: &str) -> Vec<String> {
    let mut items: Vec<String> = match separators.chars().find(|c| s.contains(*c)) {
        Some(sep) => s.split(sep).map(fold).filter(|i| !i.is_empty()).collect(),
        None => std::iter::once(fold(s)).filter(|i| !i.is_empty()).collect(),
    };
    items.sort_unstable();
    items.dedup();
    items
}

/// The Jaccard similarity of two sorted, deduplicated item lists: shared items over all
/// distinct items (1 when both are empty).
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_folds_and_scores() {
        let a = list_items("Red; GREEN ;blue;", DEFAULT_SEPARATORS);
        let b = list_items("blue, red, green, red", DEFAULT_SEPARATORS);
        assert_eq!(a, vec!["blue", "green", "red"]);
        assert_eq!(jaccard(&a, &b), 1.0);
        let c = list_items("red | yellow", DEFAULT_SEPARATORS);
        assert!((jaccard(&a, &c) - 0.25).abs() < 1e-12);
    }
}
