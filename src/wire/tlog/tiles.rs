//! The C2SP `tlog-tiles` layout: where each tile and entry bundle lives,
//! what a tree of a given size holds, and the Merkle nodes above tile
//! hashes.
//!
//! A tile at level `L`, index `N` holds up to 256 consecutive hashes of
//! complete subtrees of 256^L leaves: hash `i` of tile `N` is the root of
//! leaves `[(256N + i) * 256^L, (256N + i + 1) * 256^L)`. A full tile has
//! 256 hashes (8,192 bytes); the rightmost tile of a level is partial, with
//! `floor(size / 256^L) mod 256` hashes, at `.p/<W>`.

use crate::wire::tlog::merkle::{Hash, node_hash};

/// Hashes in a full tile.
pub const WIDTH: u64 = 256;
/// Bytes of one hash.
pub const HASH_BYTES: usize = 32;

/// `<N>` as zero-padded 3-digit path elements, all but the last prefixed
/// by `x`: 1234067 → `x001/x234/067`.
pub fn index_path(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// The path of a hash tile (`level` 0..=63) or, with `level = None`, an
/// entry bundle; `width` below 256 makes it a partial one.
pub fn path(level: Option<u8>, n: u64, width: u64) -> String {
    let l = level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
    if width < WIDTH {
        format!("tile/{l}/{}.p/{width}", index_path(n))
    } else {
        format!("tile/{l}/{}", index_path(n))
    }
}

/// Hashes at tile level `level` in a tree of `size` leaves (complete
/// subtrees of 256^level leaves).
pub fn level_count(size: u64, level: u8) -> u64 {
    let shift = 8 * u32::from(level);
    if shift >= 64 { 0 } else { size >> shift }
}

/// The tiles of `level` in a tree of `size`: `(index, width)` for each,
/// the last one partial if the count is not a multiple of 256.
pub fn tiles(size: u64, level: u8) -> impl Iterator<Item = (u64, u64)> {
    let count = level_count(size, level);
    let full = count / WIDTH;
    let rest = count % WIDTH;
    (0..full)
        .map(|n| (n, WIDTH))
        .chain((rest > 0).then_some((full, rest)))
}

/// Levels that hold at least one hash in a tree of `size`.
pub fn levels(size: u64) -> u8 {
    let mut l = 0u8;
    while l < 8 && level_count(size, l) > 0 {
        l += 1;
    }
    l
}

/// The Merkle node at `level` (a subtree of 2^level leaves), index `n`,
/// from tile hashes: `tile_hash(L, i)` returns hash `i` of tile level `L`.
/// Reads at most 128 tile hashes.
pub fn node_from_tiles<E>(
    level: u32,
    n: u64,
    tile_hash: &mut impl FnMut(u8, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    // level = 8L + r: 2^r consecutive hashes of tile level L.
    let l = (level / 8) as u8;
    let r = level % 8;
    let first = n << r;
    let mut hs = Vec::with_capacity(1 << r);
    for i in first..first + (1u64 << r) {
        hs.push(tile_hash(l, i)?);
    }
    // A power of two, never empty.
    Ok(fold(&hs))
}

/// The root of a power-of-two number of consecutive subtree hashes (a
/// full tile's 256, say); the empty tree's root for none.
pub fn fold(hs: &[Hash]) -> Hash {
    match hs.len() {
        0 => return crate::wire::tlog::merkle::empty_root(),
        1 => return hs[0],
        _ => {}
    }
    let (l, r) = hs.split_at(hs.len() / 2);
    node_hash(&fold(l), &fold(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_c2sp_writes_them() {
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(path(Some(0), 1234067, 256), "tile/0/x001/x234/067");
        assert_eq!(path(Some(1), 5, 17), "tile/1/005.p/17");
        assert_eq!(path(None, 5, 256), "tile/entries/005");
    }

    #[test]
    fn a_tree_of_70000_has_the_tiles_c2sp_lists() {
        // "273 full level 0 tiles, one partial level 0 tile of width 112,
        // one full level 1 tile, one partial level 1 tile of width 17, and
        // one partial level 2 tile of width 1."
        let l0: Vec<_> = tiles(70_000, 0).collect();
        assert_eq!(l0.len(), 274);
        assert_eq!(l0[273], (273, 112));
        assert_eq!(
            tiles(70_000, 1).collect::<Vec<_>>(),
            vec![(0, 256), (1, 17)]
        );
        assert_eq!(tiles(70_000, 2).collect::<Vec<_>>(), vec![(0, 1)]);
        assert_eq!(levels(70_000), 3);
        assert_eq!(tiles(256, 1).collect::<Vec<_>>(), vec![(0, 1)]);
    }
}
