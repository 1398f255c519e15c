"""The skill taxonomy behind the synthetic programmes: domains -> sub-topics -> skills.

Seven domains, four sub-topics each, six skills per sub-topic (168 skills, 28 latent clusters).
Every sub-topic also carries short *themes*: phrases that goal sentences are built from, so a
person's free text says the same thing as their skills without repeating the skill names.
The data is plain tuples so it can be read, diffed and extended by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COMMUNICATION_STYLES",
    "DOMAINS",
    "LANGUAGES",
    "ORGANISATIONS",
    "TIMEZONES",
    "Domain",
    "SubTopic",
    "all_skills",
]


@dataclass(frozen=True, slots=True)
class SubTopic:
    """A latent cluster: the skills that go together and the phrases people use about them."""

    name: str
    skills: tuple[str, ...]
    themes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Domain:
    """A field of work: a name, the job titles of its mentors, and its sub-topics."""

    name: str
    roles: tuple[str, ...]
    subtopics: tuple[SubTopic, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "software engineering",
        ("staff engineer", "engineering manager", "principal developer"),
        (
            SubTopic(
                "backend systems",
                ("python", "go", "rest api design", "postgresql", "caching", "message queues"),
                ("scalable backend services", "api design and databases", "distributed queues"),
            ),
            SubTopic(
                "frontend",
                ("javascript", "typescript", "react", "css", "accessibility", "web performance"),
                ("modern web interfaces", "accessible front-end code", "fast single-page apps"),
            ),
            SubTopic(
                "devops",
                ("docker", "kubernetes", "terraform", "ci/cd", "observability", "linux"),
                ("cloud infrastructure as code", "reliable deployments", "monitoring and on-call"),
            ),
            SubTopic(
                "software craft",
                ("code review", "testing", "refactoring", "design patterns", "git", "debugging"),
                ("clean maintainable code", "test-driven development", "legacy code refactoring"),
            ),
        ),
    ),
    Domain(
        "data and machine learning",
        ("data science lead", "machine learning engineer", "head of analytics"),
        (
            SubTopic(
                "statistics",
                (
                    "statistics",
                    "a/b testing",
                    "causal inference",
                    "bayesian methods",
                    "r",
                    "experiment design",
                ),
                ("rigorous experimentation", "causal questions in product data", "bayesian models"),
            ),
            SubTopic(
                "machine learning",
                (
                    "scikit-learn",
                    "feature engineering",
                    "gradient boosting",
                    "model evaluation",
                    "pandas",
                    "time series forecasting",
                ),
                ("predictive models in production", "forecasting demand", "tabular ml"),
            ),
            SubTopic(
                "deep learning",
                ("pytorch", "nlp", "computer vision", "transformers", "gpu training", "llm apps"),
                ("neural networks for text and images", "fine-tuning language models"),
            ),
            SubTopic(
                "data engineering",
                ("sql", "spark", "airflow", "dbt", "data modelling", "data warehousing"),
                ("reliable data pipelines", "analytics engineering", "warehouse modelling"),
            ),
        ),
    ),
    Domain(
        "product and design",
        ("product director", "design lead", "senior product manager"),
        (
            SubTopic(
                "product management",
                (
                    "roadmapping",
                    "prioritisation",
                    "product strategy",
                    "okrs",
                    "stakeholder management",
                    "product discovery",
                ),
                ("product strategy and roadmaps", "deciding what to build next"),
            ),
            SubTopic(
                "user research",
                (
                    "user interviews",
                    "usability testing",
                    "surveys",
                    "personas",
                    "journey mapping",
                    "research synthesis",
                ),
                ("understanding users through research", "running usability studies"),
            ),
            SubTopic(
                "interaction design",
                (
                    "figma",
                    "prototyping",
                    "wireframing",
                    "design systems",
                    "information architecture",
                    "interaction design",
                ),
                ("designing intuitive interfaces", "building a design system"),
            ),
            SubTopic(
                "growth",
                (
                    "growth experiments",
                    "onboarding",
                    "retention",
                    "pricing",
                    "funnel analysis",
                    "product analytics",
                ),
                ("product-led growth", "improving activation and retention"),
            ),
        ),
    ),
    Domain(
        "leadership and management",
        ("vice president", "chief of staff", "director"),
        (
            SubTopic(
                "people management",
                (
                    "one-on-ones",
                    "feedback",
                    "hiring",
                    "performance reviews",
                    "delegation",
                    "coaching",
                ),
                ("becoming a first-time manager", "growing and coaching a team"),
            ),
            SubTopic(
                "strategy",
                (
                    "business strategy",
                    "org design",
                    "change management",
                    "decision making",
                    "planning",
                    "budgeting",
                ),
                ("setting direction for an organisation", "leading through change"),
            ),
            SubTopic(
                "communication",
                (
                    "public speaking",
                    "storytelling",
                    "executive presence",
                    "negotiation",
                    "writing",
                    "facilitation",
                ),
                ("speaking with confidence", "influencing senior stakeholders"),
            ),
            SubTopic(
                "career growth",
                (
                    "career planning",
                    "networking",
                    "personal branding",
                    "promotion",
                    "work-life balance",
                    "mentoring others",
                ),
                ("planning the next career step", "getting promoted", "building a network"),
            ),
        ),
    ),
    Domain(
        "finance",
        ("finance director", "investment manager", "controller"),
        (
            SubTopic(
                "accounting",
                (
                    "bookkeeping",
                    "ifrs",
                    "audit",
                    "tax",
                    "financial statements",
                    "month-end close",
                ),
                ("accounting and audit readiness", "financial reporting"),
            ),
            SubTopic(
                "corporate finance",
                (
                    "financial modelling",
                    "valuation",
                    "fundraising",
                    "m&a",
                    "cash flow",
                    "capital allocation",
                ),
                ("raising capital and valuations", "financial models for decisions"),
            ),
            SubTopic(
                "investing",
                (
                    "equity research",
                    "portfolio management",
                    "risk management",
                    "fixed income",
                    "derivatives",
                    "asset allocation",
                ),
                ("managing investment portfolios", "understanding market risk"),
            ),
            SubTopic(
                "fintech",
                (
                    "payments",
                    "open banking",
                    "compliance",
                    "fraud detection",
                    "regtech",
                    "blockchain",
                ),
                ("building payment products", "compliance in financial technology"),
            ),
        ),
    ),
    Domain(
        "marketing and sales",
        ("marketing director", "head of sales", "brand lead"),
        (
            SubTopic(
                "digital marketing",
                (
                    "seo",
                    "paid search",
                    "social media",
                    "email marketing",
                    "marketing analytics",
                    "conversion optimisation",
                ),
                ("online campaigns that convert", "search and social acquisition"),
            ),
            SubTopic(
                "brand",
                (
                    "brand strategy",
                    "copywriting",
                    "positioning",
                    "content strategy",
                    "visual identity",
                    "public relations",
                ),
                ("building a memorable brand", "telling the company story"),
            ),
            SubTopic(
                "sales",
                (
                    "prospecting",
                    "account management",
                    "sales negotiation",
                    "crm",
                    "enterprise sales",
                    "pipeline forecasting",
                ),
                ("closing enterprise deals", "running a sales pipeline"),
            ),
            SubTopic(
                "customer success",
                (
                    "customer onboarding",
                    "churn reduction",
                    "customer support",
                    "renewals",
                    "customer advocacy",
                    "service design",
                ),
                ("keeping customers successful", "reducing churn"),
            ),
        ),
    ),
    Domain(
        "health and life sciences",
        ("clinical lead", "research director", "medical affairs head"),
        (
            SubTopic(
                "clinical research",
                (
                    "clinical trials",
                    "good clinical practice",
                    "biostatistics",
                    "protocol writing",
                    "regulatory submissions",
                    "pharmacovigilance",
                ),
                ("running clinical trials", "regulatory approval of therapies"),
            ),
            SubTopic(
                "bioinformatics",
                (
                    "genomics",
                    "sequence analysis",
                    "bioconductor",
                    "single-cell analysis",
                    "protein structure",
                    "lab automation",
                ),
                ("analysing genomic data", "computational biology"),
            ),
            SubTopic(
                "healthcare operations",
                (
                    "hospital operations",
                    "patient safety",
                    "quality improvement",
                    "health economics",
                    "care pathways",
                    "workforce planning",
                ),
                ("running safer hospitals", "improving patient care quality"),
            ),
            SubTopic(
                "digital health",
                (
                    "health informatics",
                    "electronic health records",
                    "telemedicine",
                    "medical devices",
                    "hipaa",
                    "wearables",
                ),
                ("digital tools for patients", "health data interoperability"),
            ),
        ),
    ),
)
"""The taxonomy: 7 domains x 4 sub-topics x 6 skills."""

COMMUNICATION_STYLES: tuple[str, ...] = (
    "direct and concise",
    "warm and encouraging",
    "structured with clear agendas",
    "informal and conversational",
    "challenging, push me hard",
    "reflective, lots of listening",
)
"""Free-text communication styles (embedded by the scoring module like any text)."""

LANGUAGES: tuple[tuple[str, float], ...] = (
    ("en", 0.55),
    ("es", 0.12),
    ("fr", 0.08),
    ("de", 0.08),
    ("pt", 0.06),
    ("hi", 0.06),
    ("ja", 0.05),
)
"""Primary languages (ISO 639-1) and their shares; everyone speaks English as a second language
with probability 0.8, so most pairs share a language."""

TIMEZONES: tuple[tuple[str, float], ...] = (
    ("America/Los_Angeles", 0.12),
    ("America/New_York", 0.18),
    ("America/Sao_Paulo", 0.06),
    ("Europe/London", 0.15),
    ("Europe/Berlin", 0.15),
    ("Africa/Lagos", 0.05),
    ("Asia/Kolkata", 0.12),
    ("Asia/Singapore", 0.07),
    ("Asia/Tokyo", 0.06),
    ("Australia/Sydney", 0.04),
)
"""IANA time zones and their shares."""

ORGANISATIONS: tuple[str, ...] = tuple(
    f"{a} {b}"
    for a in ("Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Acme", "Hooli", "Vandelay")
    for b in ("Labs", "Group", "Health", "Bank")
)
"""32 fictional organisations (a mentee may be barred from mentors of their own organisation)."""


def all_skills() -> tuple[str, ...]:
    """Every skill of the taxonomy, in taxonomy order (domain, sub-topic, skill)."""
    return tuple(s for d in DOMAINS for t in d.subtopics for s in t.skills)
