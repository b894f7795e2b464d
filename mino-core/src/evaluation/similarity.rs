//! Normalised Levenshtein similarity.
//!
//! `similarity(a, b) = 1 − distance(a, b) / max(len a, len b)`, counted in characters, where
//! the distance is the number of single-character insertions, deletions and substitutions
//! that turn one text into the other. Two empty texts are identical (1.0).
//!
//! The cost is O(n·m) after removing the common prefix and suffix, so near-identical texts
//! are cheap whatever their length. To bound the worst case (two long, unrelated texts),
//! only the first [`MAX_CHARS`] characters of each side are compared.

/// Characters of each side taken into account.
pub const MAX_CHARS: usize = 2_000;

/// The normalised Levenshtein similarity of two texts, from 0 (nothing in common) to 1 (equal).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.is_ascii() && b.is_ascii() {
        let a = &a.as_bytes()[..a.len().min(MAX_CHARS)];
        let b = &b.as_bytes()[..b.len().min(MAX_CHARS)];
        ratio(a, b)
    } else {
        let a: Vec<char> = a.chars().take(MAX_CHARS).collect();
        let b: Vec<char> = b.chars().take(MAX_CHARS).collect();
        ratio(&a, &b)
    }
}

fn ratio<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - distance(a, b) as f64 / longest as f64
}

/// Levenshtein distance with one row of memory.
fn distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    // Iterate over the longer side so the row is the shorter one.
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.len();
    }
    let mut row: Vec<usize> = (0..=short.len()).collect();
    for (i, x) in long.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in short.iter().enumerate() {
            let above = row[j + 1];
            let substitution = diagonal + usize::from(x != y);
            row[j + 1] = substitution.min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[short.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_hand_counts() {
        assert_eq!(distance(b"kitten", b"sitting"), 3);
        assert_eq!(distance(b"", b"abc"), 3);
        assert_eq!(distance(b"flaw", b"lawn"), 2);
        assert_eq!(similarity("", ""), 1.0);
        assert!((similarity("kitten", "sitting") - (1.0 - 3.0 / 7.0)).abs() < 1e-12);
        assert!((similarity("héllo", "hello") - 0.8).abs() < 1e-12);
    }
}
