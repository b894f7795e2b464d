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

fn ratio<T: Copy + Eq>(a: &[T], b: &[T]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - distance(a, b) as f64 / longest as f64
}

/// Levenshtein distance: the common prefix and suffix removed, then bit-parallel when the
/// shorter side fits in a machine word, one row of dynamic programming otherwise.
fn distance<T: Copy + Eq>(a: &[T], b: &[T]) -> usize {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.len();
    }
    if short.len() <= 64 {
        bit_parallel(short, long)
    } else {
        rows(short, long)
    }
}

/// Myers' bit-vector algorithm in Hyyrö's formulation for the edit distance between a
/// pattern of at most 64 symbols and a text: one pass over the text, a few word operations
/// per symbol, instead of one cell per pair of symbols.
fn bit_parallel<T: Copy + Eq>(pattern: &[T], text: &[T]) -> usize {
    // Each distinct pattern symbol with the positions where it occurs.
    let mut masks: Vec<(T, u64)> = Vec::with_capacity(pattern.len());
    for (i, &symbol) in pattern.iter().enumerate() {
        match masks.iter_mut().find(|(s, _)| *s == symbol) {
            Some((_, mask)) => *mask |= 1 << i,
            None => masks.push((symbol, 1 << i)),
        }
    }
    let last = 1u64 << (pattern.len() - 1);
    let (mut pv, mut mv) = (u64::MAX, 0u64);
    let mut score = pattern.len();
    for symbol in text {
        let eq = masks
            .iter()
            .find(|(s, _)| s == symbol)
            .map_or(0, |(_, m)| *m);
        let xv = eq | mv;
        let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
        let mut ph = mv | !(xh | pv);
        let mut mh = pv & xh;
        if ph & last != 0 {
            score += 1;
        } else if mh & last != 0 {
            score -= 1;
        }
        // The first row of the table counts up (D[0][j] = j): a horizontal +1 enters at the top.
        ph = (ph << 1) | 1;
        mh <<= 1;
        pv = mh | !(xv | ph);
        mv = ph & xv;
    }
    score
}

/// Textbook dynamic programming with one row of memory.
fn rows<T: Copy + Eq>(short: &[T], long: &[T]) -> usize {
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

    #[test]
    fn bit_parallel_agrees_with_dynamic_programming() {
        // A small deterministic generator: many short strings over a small alphabet make
        // every kind of edit likely.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len_a = (next() % 70) as usize;
            let len_b = (next() % 70) as usize;
            let a: Vec<u8> = (0..len_a).map(|_| b"abcd"[(next() % 4) as usize]).collect();
            let b: Vec<u8> = (0..len_b).map(|_| b"abcd"[(next() % 4) as usize]).collect();
            let (long, short) = if a.len() >= b.len() {
                (&a, &b)
            } else {
                (&b, &a)
            };
            let expected = if short.is_empty() {
                long.len()
            } else {
                rows(short, long)
            };
            assert_eq!(distance(&a, &b), expected, "{a:?} {b:?}");
            if !short.is_empty() && short.len() <= 64 {
                assert_eq!(bit_parallel(short, long), expected, "{a:?} {b:?}");
            }
        }
    }
}
