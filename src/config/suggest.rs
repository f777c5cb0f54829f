//! "Did you mean …?" for misspelt keys and ids: the nearest candidate by edit distance.

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, so `bnid`
/// is one edit from `bind`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j] = distance between a[..i] and b[..j]
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The candidate closest to `input`, if it is close enough to be a plausible typo
/// (at most a third of the longer string, and at least one edit allowed).
pub(crate) fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input_lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&input_lower, &c.to_lowercase()), c))
        .filter(|(d, c)| {
            let longest = input.chars().count().max(c.chars().count());
            *d <= (longest / 3).max(1)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_insertions_deletions_substitutions_and_swaps() {
        assert_eq!(distance("bind", "bind"), 0);
        assert_eq!(distance("bnid", "bind"), 1);
        assert_eq!(distance("servr", "server"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn nearest_picks_the_closest_plausible_candidate() {
        let keys = ["bind", "public_url", "log_format", "body_limit_bytes"];
        assert_eq!(nearest("bnid", keys), Some("bind"));
        assert_eq!(nearest("publc_url", keys), Some("public_url"));
        assert_eq!(nearest("LOG_FORMAT", keys), Some("log_format"));
    }

    #[test]
    fn nearest_suggests_nothing_for_unrelated_input() {
        assert_eq!(nearest("zzzzzz", ["bind", "public_url"]), None);
        assert_eq!(nearest("x", Vec::<&str>::new()), None);
    }
}
