//! Hostile inputs too large to commit as vectors, built on demand by
//! `tests/hostile.rs` and `examples/hostile-inputs.rs` (for
//! `benches/hostile.sh`): a device bundle whose provenance would cost
//! quadratic time to walk per component, and 4 MiB policies.

use super::*;

/// A hostile but validly signed device bundle: `components` components, each
/// citing the head of one chain of `chain` atp statements linked by
/// `inputs` (no design or fab stage, so every component is
/// `provenance.incomplete` twice). A per-component walk of the chain costs
/// components x chain; hwprov must stay linear.
pub(crate) fn provenance_dag(components: usize, chain: usize) -> Vec<u8> {
    let mut parts = Vec::with_capacity(chain + 4);
    let mut prev: Vec<Sha256> = vec![];
    for i in 0..chain {
        let lot = if i + 1 == chain { "A-0001" } else { "L" };
        let s = sign_by(&stage(
            "penang-osat",
            Stage::Atp,
            "AXC-100",
            lot,
            "Bayan Lepas plant 2",
            "MY",
            prev.clone(),
        ));
        prev = vec![Sha256::of(&s)];
        parts.push(s);
    }
    let (mut dev, evidence) = Unit::new("AX5-666").parts();
    if let Body::Device(d) = &mut dev.body {
        let c = d.components[0].clone();
        d.components = (0..components)
            .map(|i| Component {
                // The first keeps the ref the installed firmware names.
                reference: if i == 0 {
                    c.reference.clone()
                } else {
                    format!("C{i}")
                },
                provenance: prev.clone(),
                ..c.clone()
            })
            .collect();
    }
    let mut all = vec![sign_by(&dev)];
    all.extend(evidence);
    all.extend(parts);
    hwprov::wire::bundle::encode(&all)
}

/// The fixtures' policy followed by `entry(i)` for i = 0, 1, ... up to just
/// under the 4 MiB policy limit.
pub(crate) fn big_policy(entry: impl Fn(usize) -> String) -> String {
    let mut p = policy("hostile-policy", "", "");
    let mut i = 0;
    loop {
        let next = entry(i);
        if p.len() + next.len() > (4 << 20) - 16 {
            return p;
        }
        p += &next;
        i += 1;
    }
}

/// About 32,000 waivers, none of which matches anything.
pub(crate) fn policy_of_waivers() -> String {
    big_policy(|i| {
        format!(
            "\n[[waivers]]\nrule = \"jurisdiction.site\"\nvendor = \"aurora-networks\"\nserial = \"X{i}\"\nexpires = 2027-12-31T00:00:00Z\nreason = \"r\"\n"
        )
    })
}

/// About 60,000 entities in one ownership chain (invalid: longer than 32).
pub(crate) fn policy_of_one_long_chain() -> String {
    big_policy(|i| {
        let parent = match i {
            0 => String::new(),
            _ => format!("parent = \"c{}\"\n", i - 1),
        };
        format!("\n[[entities]]\nid = \"c{i}\"\nname = \"C\"\ncountry = \"FI\"\n{parent}")
    })
}

/// About 60,000 entities in chains of the maximum 32 parents (valid).
pub(crate) fn policy_of_deep_chains() -> String {
    big_policy(|i| {
        let parent = match i % 33 {
            0 => String::new(),
            _ => format!("parent = \"d{}\"\n", i - 1),
        };
        format!("\n[[entities]]\nid = \"d{i}\"\nname = \"D\"\ncountry = \"CN\"\n{parent}")
    })
}
