#!/usr/bin/env python3
# Regenerates docs/rules.md from src/policy/rules.rs and the outputs of test-vectors/.
# Run from the repository root after `cargo build --release`: python3 docs/gen-rules.py
import subprocess, json, glob, re, os
ex = {}
for d in sorted(glob.glob('test-vectors/*/')):
    case = json.load(open(d+'case.json')) if os.path.exists(d+'case.json') else {}
    dep = ['--deployment', d+case['deployment']] if case.get('deployment') else []
    out = subprocess.run([os.environ.get('HWPROV_BIN', './target/release/hwprov'),'verify','--policy',d+'policy.toml','--at','2026-11-21T00:00:00Z','--format','json']+dep+[d+'bundle.cbor'],capture_output=True,text=True).stdout
    if not out: continue
    for f in json.loads(out)['findings']:
        ex.setdefault(f['rule'], (f, d.split('/')[1]))
src=open('src/policy/rules.rs').read()
names={m.group(1):m.group(2) for m in re.finditer(r'(\w+) = "([a-z.-]+)", (\w+);', src)}
def arms(sec):
    sec=re.sub(r'\s+',' ',sec)
    res={}
    for m in re.finditer(r'((?:Rule::\w+(?: \| )?)+) => \{? ?"((?:[^"\\]|\\.)*)"', sec):
        for g in re.findall(r'Rule::(\w+)', m.group(1)):
            res[names[g]]=m.group(2).replace('\\"','"')
    return res
desc=arms(src[src.index('pub fn description'):src.index('pub fn help')])
helpt=arms(src[src.index('pub fn help'):])
kinds={m.group(2):m.group(3) for m in re.finditer(r'(\w+) = "([a-z.-]+)", (\w+);', src)}
order=[m.group(2) for m in re.finditer(r'(\w+) = "([a-z.-]+)", (\w+);', src)]
sevname={'AlwaysDeny':'always deny','PolicyDeny':'deny','PolicyWarn':'warn','Info':'info'}
where={'firmware.rollback':'gate','firmware.image':'gate','fleet.concentration':'vet','fleet.diversity':'vet','fleet.duplicate-serial':'vet'}
waive = {
 "jurisdiction.site": 'entity = "pearl-river-osat"          # the site operator (issuer of the stage statement)',
 "jurisdiction.control": 'entity = "severn-wafer"             # the issuer whose ownership chain is high-risk',
 "entity.designated": 'vendor = "eastwind-telecom"\nserial = "EW9-200001"               # one unit (a phase-out plan covers all legacy units of a vendor: docs/policy.md)',
 "provenance.incomplete": 'part = "AXC-100"                    # the component part whose provenance is short',
 "provenance.mismatch": 'part = "AXC-100"',
 "firmware.unsigned": 'vendor = "aurora-networks"\nserial = "AX5-000307"               # one device (serials need their vendor)',
 "firmware.target": 'statement = "sha256:<release statement digest>"',
 "firmware.threshold": 'entity = "aurora-networks"          # the publisher',
 "firmware.unevaluated": 'part = "AXC-100"                    # the component running the image',
 "firmware.untransparent": 'statement = "sha256:<release statement digest>"   # a release its vendor has not published yet',
 "firmware.rollback": 'vendor = "aurora-networks"\nserial = "AX5-000123"',
 "firmware.image": 'vendor = "aurora-networks"\nserial = "AX5-000123"',
 "fleet.concentration": 'entity = "aurora-networks"          # the vendor group over its cap',
 "fleet.diversity": 'entity = "aurora-networks"          # the one vendor group of the class',
 "phaseout.new-unit": 'vendor = "eastwind-telecom"\nserial = "EW9-299999"               # one unit installed after the cut-off',
 "phaseout.overdue": 'vendor = "eastwind-telecom"\nserial = "EW9-200001"               # one unit kept past the deadline, with a new date',
 "fleet.duplicate-serial": 'vendor = "aurora-networks"\nserial = "AX5-000123"',
 "entity.opaque": 'entity = "penang-osat"               # the issuer whose ownership is undisclosed',
 "entity.unapproved": 'entity = "aurora-networks"          # the issuer without the approval',
 "class.mismatch": 'vendor = "aurora-networks"\nserial = "AX5-000401"               # the unit whose vendor suggests another class',
}
out=["# Rules","","<!-- Generated from src/policy/rules.rs and the test-vectors/ outputs; tests/docs.rs checks every rule has a section. -->","",
"Every finding hwprov reports carries one of these rule ids (SPEC section 7).",
"Each section says what the rule catches, shows a finding as `hwprov verify` prints it",
"(taken from the `test-vectors/` case named), and how to fix or waive it.","",
"Severities: `deny` fails the verdict, `warn` warns, `info` informs, `waived` is a",
"finding a live waiver covers. Always-deny rules cannot be configured or waived.",
"Policy rules take `\"rule.id\" = \"deny\" | \"warn\" | \"off\"` in `[rules]`,",
"`[roles.ROLE.rules]`, `[classes.NAME.rules]`, `[classes.NAME.roles.ROLE.rules]` and",
"`[zones.ZONE.rules]` (see docs/policy.md for the lookup order; zones only tighten),",
"and can be waived with `[[waivers]]` (an expiry and a reason",
"are required; `entity`, `part`, `vendor` (with or without `serial`; `serial` needs `vendor`) and `statement` select the findings, and",
"every one given must match). A waiver that expires within 90 days is reported as",
"`waiver.expiring` (info); an expired one as `waiver.expired` (warn), and the finding stands.",""]
for r in order:
    sev=sevname[kinds[r]]
    if r in where: sev+=f" ({where[r]})"
    out += [f"## `{r}`","",f"Default: **{sev}**. {desc[r]}",""]
    if r in ex:
        f,case=ex[r]
        out += [f"Example (`test-vectors/{case}`):","","```text",f"{f['severity']:<6} {r}: {f['subject']}",f"       {f['message']}","```",""]
    elif r in where:
        out += [f"Reported by `hwprov {where[r]}`.",""]
    out += [f"Fix: {helpt[r]}",""]
    if kinds[r]=='AlwaysDeny':
        out.append("Cannot be waived: a statement that fails this check is not evidence.")
    elif r in waive:
        out += ["Waive:","","```toml","[[waivers]]",f'rule = "{r}"',waive[r],'expires = 2027-12-31T00:00:00Z','reason = "documented risk acceptance, ticket RISK-123"',"```"]
    elif r=="waiver.expired":
        out.append('Set `"waiver.expired" = "deny"` in `[rules]` to make expired waivers fail the verdict, or renew the waiver.')
    else:
        out.append("Informational; not configurable.")
    out.append("")
open('docs/rules.md','w').write('\n'.join(out))
