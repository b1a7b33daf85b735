"""The three access paths as a Graphviz diagram (DOT text, rendered offline by Streamlit).

Kept as plain DOT text so it needs no Graphviz binary and no network: Streamlit renders
it in the browser with its bundled engine, and tests can inspect the source.
"""

from __future__ import annotations

PATH_COLOURS: dict[str, str] = {
    "nat": "#d9534f",  # public edge: red, the path that leaves private address space
    "vpce": "#2e7d32",  # PrivateLink: green, stays on private IPs
    "cross-account": "#1565c0",  # account B: blue
}


def paths_dot(highlight: str | None = None) -> str:
    """DOT source of the three paths; ``highlight`` draws the chosen path's edges bold."""

    def edge(src: str, dst: str, path: str, label: str = "") -> str:
        width = "3" if path == highlight else "1.4"
        colour = PATH_COLOURS[path]
        text = f', label="{label}", fontcolor="{colour}"' if label else ""
        return f'  {src} -> {dst} [color="{colour}", penwidth={width}{text}];'

    lines = [
        "digraph paths {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.35, ranksep=0.55, bgcolor="transparent"];',
        '  node  [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
        '  edge  [fontname="Helvetica", fontsize=10];',
        '  subgraph cluster_a { label="Account A (participant)"; style="rounded,dashed"; color="#888888";',
        '    subgraph cluster_vpc_a { label="VPC A"; style="rounded"; color="#bbbbbb";',
        '      subnet [label="Participant\\nprivate subnet\\n(Cloud9 / EC2)", fillcolor="#fff8e1"];',
        '      nat    [label="NAT gateway\\n(public subnet)"];',
        '      eni_a  [label="VPC endpoint ENI\\nbedrock-runtime"];',
        '      tgw    [label="VPC peering /\\nTransit Gateway"];',
        "    }",
        '    sts    [label="AWS STS\\nAssumeRole", shape=ellipse];',
        "  }",
        '  public [label="bedrock-runtime.<region>\\n.amazonaws.com\\n(public endpoint)", fillcolor="#fdecea"];',
        '  plink  [label="AWS PrivateLink", shape=ellipse, fillcolor="#e8f5e9"];',
        '  subgraph cluster_b { label="Account B (central AI account)"; style="rounded,dashed"; color="#888888";',
        '    eni_b  [label="Account B\\nVPC endpoint ENI"];',
        '    role_b [label="Role in B\\n(+ ExternalId)", shape=note, fillcolor="#e3f2fd"];',
        "  }",
        '  bedrock [label="Amazon Bedrock\\n(models)", fillcolor="#ede7f6"];',
        edge("subnet", "nat", "nat", "1 · public"),
        edge("nat", "public", "nat"),
        edge("public", "bedrock", "nat"),
        edge("subnet", "eni_a", "vpce", "2 · PrivateLink"),
        edge("eni_a", "plink", "vpce"),
        edge("plink", "bedrock", "vpce"),
        edge("subnet", "tgw", "cross-account", "3 · cross-account"),
        edge("tgw", "eni_b", "cross-account"),
        edge("eni_b", "bedrock", "cross-account"),
        f'  subnet -> sts [style=dashed, color="{PATH_COLOURS["cross-account"]}", label="temporary creds", fontcolor="{PATH_COLOURS["cross-account"]}"];',
        f'  sts -> role_b [style=dashed, color="{PATH_COLOURS["cross-account"]}"];',
        "}",
    ]
    return "\n".join(lines)
