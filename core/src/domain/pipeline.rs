//! A pipeline is an ordered list of stages. Stage definitions carry the entry and exit
//! criteria a team agrees on: the seed article's first step of funnel management.

use super::error::DomainError;
use super::ids::{Id, IdGen};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub fn is_terminal(self) -> bool {
        !matches!(self, StageKind::Open)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub id: Id,
    pub name: String,
    pub kind: StageKind,
    /// Default win probability in whole percent (0..=100), as a manager sets it.
    pub probability: u8,
    pub description: String,
    pub entry_criteria: Vec<String>,
    pub exit_criteria: Vec<String>,
    /// A deal waiting longer than this in the stage is "stuck". None: use the stage's
    /// own 90th-percentile dwell time.
    #[serde(default)]
    pub stuck_after_days: Option<u32>,
    /// A move into this stage needs every entry criterion ticked (otherwise they are
    /// advisory: the ticked ones are recorded on the move).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub criteria_required: bool,
    /// Removed from the board but kept so that history that mentions it stays readable.
    #[serde(default)]
    pub archived: bool,
    /// Fields written by a newer build of the app, kept as they are through every edit.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Unknown fields of a stored record (from a newer build): kept, never interpreted.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// At most this many stages (open, won, lost and archived) in one pipeline: every card's
/// "Move to…" list shows them all.
pub const MAX_STAGES: usize = 60;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: Id,
    pub name: String,
    pub stages: Vec<Stage>,
    /// Last saved in the stage editor (None: as created from a template).
    #[serde(default)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The reasons offered when a deal is lost (the move dialog adds "Other…" with text),
    /// so losses can be counted by reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_reasons: Vec<String>,
    /// A move to a Lost stage needs a reason (pipelines from a template: yes; files from
    /// before this setting: no, as they were).
    #[serde(default)]
    pub require_lost_reason: bool,
    /// Targets (quotas) per owner or team, per month or quarter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<super::target::Target>,
    /// In the trash since then (None: live): hidden with its deals, restorable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Pipeline {
    pub fn stage(&self, id: &Id) -> Option<&Stage> {
        self.stages.iter().find(|s| &s.id == id)
    }

    /// Stages shown on the board, in pipeline order.
    pub fn active_stages(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| !s.archived)
    }

    /// Where a new deal starts unless the user picks otherwise.
    pub fn first_open_stage(&self) -> Option<&Stage> {
        self.active_stages().find(|s| s.kind == StageKind::Open)
    }

    pub fn position(&self, id: &Id) -> Option<usize> {
        self.stages.iter().position(|s| &s.id == id)
    }

    /// Adds a new open stage (50%, no criteria yet) after the open ones, before Won/Lost.
    pub fn insert_open_stage(&mut self, id: Id, name: String) {
        let at = self.stages.iter().position(|s| s.kind.is_terminal()).unwrap_or(self.stages.len());
        let stage = Stage {
            id,
            name,
            kind: StageKind::Open,
            probability: 50,
            description: String::new(),
            entry_criteria: Vec::new(),
            exit_criteria: Vec::new(),
            stuck_after_days: None,
            criteria_required: false,
            archived: false,
            extra: Extra::new(),
        };
        self.stages.insert(at, stage);
    }

    /// This pipeline plus the stages `other` (another copy of it, e.g. an importer's, which
    /// added stages for new names) has and it lacks; None if it lacks none. An import
    /// thus never replaces the stored definition with its own, possibly older, copy.
    pub fn with_stages_from(&self, other: &Pipeline) -> Option<Pipeline> {
        let mut out = self.clone();
        for s in other.stages.iter().filter(|s| self.stage(&s.id).is_none()) {
            if s.kind == StageKind::Open && !s.archived {
                out.insert_open_stage(s.id.clone(), s.name.clone());
                if let Some(slot) = out.stages.iter_mut().find(|x| x.id == s.id) {
                    *slot = s.clone();
                }
            } else {
                out.stages.push(Stage { archived: true, ..s.clone() });
            }
        }
        (out.stages.len() != self.stages.len()).then_some(out)
    }

    /// The rules every stored pipeline follows, whether saved in the stage editor or
    /// imported: a name, at least one open stage, exactly one Won and one Lost after all
    /// open stages, named stages with unique names, probabilities 0–100, at most
    /// `MAX_STAGES` stages. Archived stages count for names and the limit only.
    pub fn rule_errors(&self) -> Vec<DomainError> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(DomainError::PipelineNameRequired);
        }
        if self.stages.len() > MAX_STAGES {
            errors.push(DomainError::TooManyStages { stages: self.stages.len(), max: MAX_STAGES });
        }
        let mut names = std::collections::HashSet::new();
        // Archived stages may share a name with a new one: they are history, not choices.
        for (i, s) in self.stages.iter().enumerate().filter(|(_, s)| !s.archived) {
            if s.name.trim().is_empty() {
                errors.push(DomainError::StageNameRequired { position: i + 1 });
            } else if !names.insert(s.name.trim().to_lowercase()) {
                errors.push(DomainError::DuplicateStageName(s.name.clone()));
            }
            if s.probability > 100 {
                errors.push(DomainError::ProbabilityOutOfRange { stage: s.name.clone() });
            }
        }
        let active: Vec<&Stage> = self.active_stages().collect();
        let count = |k: StageKind| active.iter().filter(|s| s.kind == k).count();
        if count(StageKind::Open) == 0 {
            errors.push(DomainError::NeedsOpenStage);
        }
        if count(StageKind::Won) != 1 {
            errors.push(DomainError::NeedsOneWonStage);
        }
        if count(StageKind::Lost) != 1 {
            errors.push(DomainError::NeedsOneLostStage);
        }
        let first_terminal = active.iter().position(|s| s.kind.is_terminal()).unwrap_or(active.len());
        if active[first_terminal..].iter().any(|s| s.kind == StageKind::Open) {
            errors.push(DomainError::TerminalStagesLast);
        }
        for t in &self.targets {
            if let Err(e) = t.check() {
                errors.push(e);
            }
        }
        errors
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Template {
    /// 认知 → 意向 → 评估 → 决策: stages named after what the customer is doing.
    CustomerJourney,
    /// 初步沟通 → 需求分析 → 方案演示 → 商务谈判: a classic B2B sales cycle.
    B2b,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

struct TemplateStage {
    en: &'static str,
    zh: &'static str,
    kind: StageKind,
    probability: u8,
    desc: (&'static str, &'static str),
    entry: &'static [(&'static str, &'static str)],
    exit: &'static [(&'static str, &'static str)],
}

const JOURNEY: &[TemplateStage] = &[
    TemplateStage {
        en: "Awareness",
        zh: "认知",
        kind: StageKind::Open,
        probability: 10,
        desc: ("The customer knows about us and a problem we solve.", "客户知道我们以及我们能解决的问题。"),
        entry: &[("Contact made with a named person", "已与具体联系人建立联系")],
        exit: &[("Customer confirms the problem matters to them", "客户确认该问题对其重要")],
    },
    TemplateStage {
        en: "Interest",
        zh: "意向",
        kind: StageKind::Open,
        probability: 25,
        desc: ("The customer wants to learn how we would solve it.", "客户希望了解我们的解决方式。"),
        entry: &[("Customer confirms the problem matters to them", "客户确认该问题对其重要")],
        exit: &[("A meeting with the decision maker is booked", "已约定与决策人会面")],
    },
    TemplateStage {
        en: "Evaluation",
        zh: "评估",
        kind: StageKind::Open,
        probability: 50,
        desc: ("The customer compares options and checks fit and budget.", "客户比较方案，评估匹配度与预算。"),
        entry: &[
            ("Decision maker identified", "已确认决策人"),
            ("Budget range known", "已了解预算范围"),
        ],
        exit: &[("Customer names us as preferred option", "客户将我们列为首选方案")],
    },
    TemplateStage {
        en: "Decision",
        zh: "决策",
        kind: StageKind::Open,
        probability: 75,
        desc: ("Terms, price and signature are being settled.", "正在确定条款、价格与签约。"),
        entry: &[("Proposal accepted in principle", "方案已获原则性认可")],
        exit: &[("Contract signed", "合同已签署")],
    },
];

const B2B: &[TemplateStage] = &[
    TemplateStage {
        en: "Qualification",
        zh: "初步沟通",
        kind: StageKind::Open,
        probability: 10,
        desc: ("First conversation: is there a need, a budget and a buyer?", "初次沟通：是否有需求、预算和购买人？"),
        entry: &[("Inbound request or outbound reply", "收到咨询或外呼得到回应")],
        exit: &[("Need, budget and timeline confirmed", "需求、预算与时间表已确认")],
    },
    TemplateStage {
        en: "Needs analysis",
        zh: "需求分析",
        kind: StageKind::Open,
        probability: 25,
        desc: ("Understand requirements and stakeholders in depth.", "深入了解需求与相关决策人。"),
        entry: &[("Need, budget and timeline confirmed", "需求、预算与时间表已确认")],
        exit: &[("Written requirements agreed with the customer", "与客户确认书面需求")],
    },
    TemplateStage {
        en: "Demo",
        zh: "方案演示",
        kind: StageKind::Open,
        probability: 50,
        desc: ("Show the solution against the agreed requirements.", "针对已确认的需求演示方案。"),
        entry: &[
            ("Written requirements agreed", "书面需求已确认"),
            ("Decision maker attends", "决策人参加演示"),
        ],
        exit: &[("Customer asks for a quote", "客户索要报价")],
    },
    TemplateStage {
        en: "Negotiation",
        zh: "商务谈判",
        kind: StageKind::Open,
        probability: 75,
        desc: ("Price, terms and contract are negotiated.", "就价格、条款与合同进行谈判。"),
        entry: &[("Quote sent", "已发送报价")],
        exit: &[("Contract signed", "合同已签署")],
    },
];

const WON: TemplateStage = TemplateStage {
    en: "Won",
    zh: "赢单",
    kind: StageKind::Won,
    probability: 100,
    desc: ("Contract signed.", "合同已签署。"),
    entry: &[("Signed contract or purchase order", "已签合同或采购订单")],
    exit: &[],
};

const LOST: TemplateStage = TemplateStage {
    en: "Lost",
    zh: "输单",
    kind: StageKind::Lost,
    probability: 0,
    desc: ("The customer chose another option or stopped.", "客户选择了其他方案或终止。"),
    entry: &[("Lost reason recorded", "已记录输单原因")],
    exit: &[],
};

fn pick(lang: Lang, pair: (&'static str, &'static str)) -> String {
    match lang {
        Lang::En => pair.0.to_string(),
        Lang::Zh => pair.1.to_string(),
    }
}

pub fn template_name(template: Template, lang: Lang) -> String {
    match template {
        Template::CustomerJourney => pick(lang, ("Customer journey", "客户旅程")),
        Template::B2b => pick(lang, ("B2B sales", "B2B 销售")),
    }
}

/// Builds a pipeline from a template, with stage names in the given language.
/// The reasons a new pipeline offers for a loss (editable in the stage editor).
pub const LOST_REASONS: [(&str, &str); 6] = [
    ("Price", "价格"),
    ("Chose a competitor", "选择了竞争对手"),
    ("No budget", "没有预算"),
    ("No decision", "没有决策"),
    ("Timing", "时机不对"),
    ("Lost contact", "失去联系"),
];

pub fn from_template(template: Template, lang: Lang, ids: &mut IdGen) -> Pipeline {
    let open = match template {
        Template::CustomerJourney => JOURNEY,
        Template::B2b => B2B,
    };
    let stages = open
        .iter()
        .chain([&WON, &LOST])
        .map(|t| Stage {
            id: ids.next_id(),
            name: pick(lang, (t.en, t.zh)),
            kind: t.kind,
            probability: t.probability,
            description: pick(lang, t.desc),
            entry_criteria: t.entry.iter().map(|p| pick(lang, *p)).collect(),
            exit_criteria: t.exit.iter().map(|p| pick(lang, *p)).collect(),
            stuck_after_days: None,
            criteria_required: false,
            archived: false,
            extra: Extra::new(),
        })
        .collect();
    Pipeline {
        id: ids.next_id(),
        name: template_name(template, lang),
        stages,
        updated_at: None,
        lost_reasons: LOST_REASONS.iter().map(|p| pick(lang, *p)).collect(),
        require_lost_reason: true,
        targets: Vec::new(),
        deleted_at: None,
        extra: Extra::new(),
    }
}
