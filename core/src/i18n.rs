//! All UI text, English and 简体中文. A typed table: adding a key without both
//! translations does not compile. Placeholders are `{name}`, filled by `fill`.

use crate::domain::money::AmountError;
use crate::domain::{DomainError, Field, Lang};

macro_rules! texts {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum K { $($key),* }

        impl K {
            pub const ALL: &'static [K] = &[$(K::$key),*];
        }

        fn en(k: K) -> &'static str {
            match k {
                $(K::$key => $en,)*
            }
        }

        /// The Chinese texts as compiled in. The browser build leaves them out
        /// (`zh_fetched`) and fetches them as a file made from this table (`zh_file`).
        #[cfg(any(test, not(feature = "zh_fetched")))]
        fn zh_built_in(k: K) -> &'static str {
            match k {
                $(K::$key => $zh,)*
            }
        }

        /// The key list's fingerprint (its names in order, hashed at compile time): a
        /// texts file made for another list of keys is refused rather than misread.
        pub const KEYS_PRINT: u64 = fnv1a(concat!($(stringify!($key), "\n"),*).as_bytes());
    };
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

pub fn tr(lang: Lang, k: K) -> &'static str {
    match lang {
        Lang::En => en(k),
        Lang::Zh => zh(k),
    }
}

#[cfg(not(feature = "zh_fetched"))]
fn zh(k: K) -> &'static str {
    zh_built_in(k)
}

/// The fetched texts once `install_zh` has them; English until then (the app asks for
/// Chinese only after they are in, so this fallback is never what a reader sees).
#[cfg(feature = "zh_fetched")]
fn zh(k: K) -> &'static str {
    ZH.get().and_then(|t| t.get(k as usize).copied()).unwrap_or_else(|| en(k))
}

#[cfg(feature = "zh_fetched")]
static ZH: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();

/// Whether `tr(Lang::Zh, _)` gives Chinese now: always natively; in the browser build
/// once the texts file has been installed.
#[cfg(feature = "zh_fetched")]
pub fn zh_ready() -> bool {
    ZH.get().is_some()
}

#[cfg(not(feature = "zh_fetched"))]
pub fn zh_ready() -> bool {
    true
}

/// Installs the fetched Chinese texts (the file `zh_file` writes). They live as long as
/// the page, like the compiled-in English ones. A second install keeps the first.
#[cfg(feature = "zh_fetched")]
pub fn install_zh(file: &str) -> Result<(), TextsError> {
    let texts = parse_texts(file)?;
    let _ = ZH.set(texts.into_iter().map(|t| &*Box::leak(t.into_boxed_str())).collect());
    Ok(())
}

/// The first line of a texts file: what it is, how many texts follow, the key list's
/// fingerprint.
const TEXTS_MAGIC: &str = "funnelscope-texts zh";

/// The Chinese texts as the file the browser build fetches: a header line, then one text
/// per line in key order, `\` and line breaks escaped.
#[cfg(any(test, not(feature = "zh_fetched")))]
pub fn zh_file() -> String {
    let mut out = format!("{TEXTS_MAGIC} {} {KEYS_PRINT:016x}\n", K::ALL.len());
    for &k in K::ALL {
        for c in zh_built_in(k).chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Why a texts file was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TextsError {
    /// The first line is not a texts file's header.
    NotTexts,
    /// Made for another list of keys (another build of the app).
    OtherKeys { expected: String, found: String },
    /// A count that is not the header's.
    Count { expected: usize, found: usize },
    /// A backslash not followed by `\` or `n`, on this line (1-based, header included).
    Escape { line: usize },
}

impl std::fmt::Display for TextsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextsError::NotTexts => write!(f, "not a texts file"),
            TextsError::OtherKeys { expected, found } => write!(f, "made for other keys ({found}, this build {expected})"),
            TextsError::Count { expected, found } => write!(f, "{found} texts where {expected} were expected"),
            TextsError::Escape { line } => write!(f, "a bad escape on line {line}"),
        }
    }
}

/// Reads a texts file: one text per key of this build, in key order.
pub fn parse_texts(file: &str) -> Result<Vec<String>, TextsError> {
    let mut lines = file.split('\n');
    let header = lines.next().unwrap_or_default();
    let mut parts = header.strip_prefix(TEXTS_MAGIC).ok_or(TextsError::NotTexts)?.split(' ');
    let (Some(""), Some(count), Some(print), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TextsError::NotTexts);
    };
    let expected = format!("{KEYS_PRINT:016x}");
    if print != expected {
        return Err(TextsError::OtherKeys { expected, found: print.to_string() });
    }
    let count: usize = count.parse().map_err(|_| TextsError::NotTexts)?;
    if count != K::ALL.len() {
        return Err(TextsError::Count { expected: K::ALL.len(), found: count });
    }
    // One text per line, the last one ended by a line break like the others.
    let body: Vec<&str> = lines.collect();
    let body = match body.split_last() {
        Some((&"", texts)) => texts,
        _ => &body[..],
    };
    if body.len() != count {
        return Err(TextsError::Count { expected: count, found: body.len() });
    }
    let mut texts = Vec::with_capacity(count);
    for (i, line) in body.iter().enumerate() {
        let mut text = String::with_capacity(line.len());
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('\\') => text.push('\\'),
                    Some('n') => text.push('\n'),
                    _ => return Err(TextsError::Escape { line: i + 2 }),
                },
                c => text.push(c),
            }
        }
        texts.push(text);
    }
    Ok(texts)
}

texts! {
    Tagline => "sales funnel", "商机漏斗";
    Loading => "Opening your pipeline…", "正在打开商机漏斗…";
    LoadingDialog => "Loading…", "正在加载…";
    LoadingScreen => "Loading this page…", "正在加载此页面…";
    ScreenUnavailable => "This page could not be loaded: the connection to the site failed before this version of the app was fully downloaded. Your data is safe.", "无法加载此页面：在本版本应用下载完成之前与网站的连接中断了。您的数据不受影响。";
    DemoUnavailable => "The demo could not be loaded: the connection to the site failed before its part of the app was downloaded. Try again.", "无法加载演示数据：在应用的演示部分下载完成之前与网站的连接中断了。请重试。";
    ReloadPage => "Reload", "刷新";
    ZhUnavailable => "简体中文界面文字无法下载（与网站的连接中断），暂以英文显示。The Chinese text could not be downloaded (the connection to the site failed), so the app stays in English.", "简体中文界面文字无法下载（与网站的连接中断），暂以英文显示。The Chinese text could not be downloaded (the connection to the site failed), so the app stays in English.";
    Pipeline => "Pipeline", "漏斗";
    MainNavigation => "Main", "主导航";
    Board => "Board", "看板";
    StageDefinitions => "Stage definitions", "阶段定义";
    NewPipeline => "New pipeline", "新建漏斗";
    AddDeal => "Add deal", "新建商机";
    AddDealToStage => "Add deal to {stage}", "在「{stage}」新建商机";
    Language => "Language", "语言";
    Dismiss => "Dismiss", "关闭";
    MemoryOnlyTitle => "Not saved on this device.", "无法保存到本设备。";
    MemoryOnlyBody => "The browser would not open its database (IndexedDB), for example in a private window. Funnelscope keeps working in memory; everything is lost when this tab closes.", "浏览器无法打开数据库（IndexedDB），例如在无痕窗口中。Funnelscope 仍可在内存中使用，但关闭此标签页后数据将丢失。";
    WriteFailed => "Your last change could not be saved and was not applied", "上一次修改未能保存，因此没有生效";
    ChangeConflicted => "A queued change no longer applied after an earlier one and was skipped.", "一项排队中的修改与之前的修改冲突，已跳过。";
    StorageFull => "Your last change was not saved: this browser's storage for Funnelscope is full. Free space (delete old backups on the Import & export page, or other sites' data), then try again.", "上一次修改未能保存：浏览器分配给 Funnelscope 的存储空间已满。请释放空间（在“导入与导出”页删除旧备份，或清理其他网站的数据）后重试。";
    StorageAborted => "Your last change was not saved: the browser stopped the write ({why}).", "上一次修改未能保存：浏览器中止了写入（{why}）。";
    StorageNewerVersion => "This data was saved by a newer version of Funnelscope. Reload the page to get that version; until then nothing here can be changed, so nothing is lost.", "这些数据由更新版本的 Funnelscope 保存。请刷新页面以使用新版本；在此之前此页面不能修改任何内容，因此不会丢失数据。";
    StorageClosed => "Funnelscope was updated in another tab. Reload this page to continue; changes made here now would not be saved.", "Funnelscope 已在另一个标签页中更新。请刷新此页面后继续；现在在此页面所做的修改不会被保存。";
    StorageBlocked => "Waiting for other tabs: a tab with an older version of Funnelscope is still open. Close it (or reload it) and this page continues by itself.", "正在等待其他标签页：仍有一个旧版本的 Funnelscope 标签页打开着。请关闭（或刷新）它，此页面会自动继续。";
    StorageNotReady => "Storage is not ready yet; nothing was saved.", "存储尚未就绪；未保存任何内容。";
    ReadingRest => "Still reading activities and leads…", "正在读取活动和线索…";
    BackupMissing => "That backup no longer exists (it may have been deleted in another tab).", "该备份已不存在（可能已在其他标签页中删除）。";
    QuarantineTitle => "{n} stored records could not be read and were set aside.", "有 {n} 条已存储的记录无法读取，已被隔离。";
    EncInvalid => "{detail}", "加密文件格式有误：{detail}";
    EncDamaged => "the encrypted file's {part} is damaged", "加密文件的 {part} 已损坏";
    EncUnsupported => "unsupported encryption ({cipher} with {kdf})", "不支持的加密方式（{cipher}，{kdf}）";
    EncIterations => "the file asks for {n} PBKDF2 iterations; this app accepts {min} to {max}", "该文件要求 {n} 次 PBKDF2 迭代；本应用只接受 {min} 到 {max} 次";
    QuarUnreadable => "cannot be read ({detail})", "无法读取（{detail}）";
    QuarUnknownPipeline => "unknown pipeline {id}", "指向不存在的漏斗 {id}";
    QuarUnknownDeal => "unknown deal {id}", "指向不存在的商机 {id}";
    QuarUnknownStage => "unknown stage {id}", "指向不存在的阶段 {id}";
    QuarantineBody => "They stay in this browser's database untouched; everything else loaded normally. Details:", "它们原样保留在浏览器数据库中；其余数据已正常加载。详情：";
    SavingRecords => "Saving {n} records… {p}%", "正在保存 {n} 条记录… {p}%";
    StorageUsage => "Storage used: {used} of {quota} available to this site.", "已用存储：{used}（本站可用 {quota}）。";
    StoragePersistent => "This browser keeps the data even when space runs low.", "浏览器会保留这些数据，即使空间不足也不会清除。";
    StorageNotPersistent => "This browser may clear the data when space runs low: export a copy regularly.", "空间不足时浏览器可能清除这些数据：请定期导出备份。";
    DeleteBackup => "Delete", "删除";
    DeleteBackupNamed => "Delete backup of {when}", "删除 {when} 的备份";
    NothingNewToMerge => "The file brings nothing new: nothing was changed and no backup was taken.", "该文件没有新内容：未做任何修改，也未创建备份。";
    MergeCollisions => "Records that share an id but are different ({n}): each kept once, as listed.", "编号相同但内容不同的记录（{n} 条）：每条只保留一份，如下所列。";
    CollisionEvent => "Two different history entries share the id {id}: the earlier was kept.", "两条不同的历史记录使用了相同的编号 {id}：保留了较早的一条。";
    CollisionDeal => "Two different deals share the id {id}: “{kept}” was kept, “{dropped}” and its history were left out.", "两个不同的商机使用了相同的编号 {id}：保留了“{kept}”，未导入“{dropped}”及其历史。";
    CollisionStage => "Stage “{stage}” of “{pipeline}” is missing from the newer definition but deals or history use it: kept.", "“{pipeline}”的阶段“{stage}”在较新的定义中已不存在，但仍有商机或历史使用它：已保留。";
    UpdateReady => "A new version of Funnelscope is available.", "Funnelscope 有新版本可用。";
    UpdateNow => "Reload to update", "刷新以更新";
    OneDeal => "1 deal", "1 个商机";
    NDeals => "{n} deals", "{n} 个商机";
    NoDealsHere => "No deals in this stage", "此阶段暂无商机";
    ShowMore => "Show {n} more ({hidden} hidden)", "再显示 {n} 个（还有 {hidden} 个）";
    MoveTo => "Move to…", "移动到…";
    MoveDealTo => "Move {deal} to stage", "将「{deal}」移动到阶段";
    DaysInStageHint => "Time since the deal entered its current stage", "进入当前阶段以来的时间";
    Today => "today", "今天";
    OneDay => "1 day", "1 天";
    NDays => "{n} days", "{n} 天";
    MoveDialogTitle => "Move “{deal}” to {stage}", "将「{deal}」移动到「{stage}」";
    FromStage => "Currently in {stage}", "当前阶段：{stage}";
    EntryCriteriaFor => "Entry criteria for {stage}", "「{stage}」的进入标准";
    NoCriteria => "This stage has no entry criteria yet. Define them under Stage definitions.", "此阶段尚未定义进入标准，可在「阶段定义」中设置。";
    CriteriaConfirmed => "{done} of {all} criteria confirmed", "已确认 {done} / {all} 项标准";
    LostReason => "Lost reason", "输单原因";
    MoveNote => "Note (optional)", "备注（可选）";
    Cancel => "Cancel", "取消";
    ConfirmMove => "Move", "确认移动";
    NewDeal => "New deal", "新建商机";
    EditDeal => "Edit deal", "编辑商机";
    DealTitle => "Deal title", "商机名称";
    Account => "Account", "客户";
    Contact => "Contact", "联系人";
    Amount => "Amount", "金额";
    Currency => "Currency", "币种";
    ExpectedClose => "Expected close date", "预计成交日期";
    Owner => "Owner", "负责人";
    Source => "Source", "来源";
    Stage => "Stage", "阶段";
    Notes => "Notes", "备注";
    Tags => "Tags (comma-separated)", "标签（逗号分隔）";
    TagsShort => "Tags", "标签";
    SaveDeal => "Save deal", "保存商机";
    CreatedAt => "Created", "创建时间";
    DealNotFound => "This deal does not exist (it may belong to data that was not loaded).", "找不到该商机（可能属于未加载的数据）。";
    BackToBoard => "← Back to board", "← 返回看板";
    StageHistory => "Stage history", "阶段历史";
    MoveCreated => "Created in {to}", "创建于「{to}」";
    MoveForward => "{from} → {to}", "{from} → {to}";
    MoveSkip => "{from} → {to} (skipped {n} stage(s))", "{from} → {to}（跳过 {n} 个阶段）";
    MoveBack => "Moved back {from} → {to} (re-nurture)", "退回 {from} → {to}（重新培育）";
    MoveReopen => "Reopened {from} → {to}", "重新打开 {from} → {to}";
    MoveWon => "Won ({from} → {to})", "赢单（{from} → {to}）";
    MoveLost => "Lost ({from} → {to})", "输单（{from} → {to}）";
    MoveOther => "{from} → {to}", "{from} → {to}";
    AfterDaysIn => "after {n} in {stage}", "在「{stage}」停留 {n}";
    StageEditorIntro => "Agree on what each stage means: when a deal may enter it and what must be true before it leaves. Won and Lost come last.", "先就每个阶段的含义达成一致：商机何时可以进入、离开前必须满足什么。赢单和输单排在最后。";
    PipelineName => "Pipeline name", "漏斗名称";
    StageName => "Stage name", "阶段名称";
    StageKindLabel => "Type", "类型";
    KindOpen => "Open", "进行中";
    KindWon => "Won", "赢单";
    KindLost => "Lost", "输单";
    WinProbability => "Win probability %", "赢单概率 %";
    MoveStageUp => "Move {stage} up", "上移「{stage}」";
    MoveStageDown => "Move {stage} down", "下移「{stage}」";
    RemoveStage => "Remove {stage}", "删除「{stage}」";
    Description => "Description", "说明";
    EntryCriteria => "Entry criteria", "进入标准";
    ExitCriteria => "Exit criteria", "退出标准";
    OnePerLine => "One per line", "每行一项";
    AddStage => "Add stage", "添加阶段";
    DiscardChanges => "Discard changes", "放弃修改";
    SaveStages => "Save stages", "保存阶段";
    StagesSaved => "Stages saved.", "阶段已保存。";
    NewStageName => "New stage", "新阶段";
    WelcomeTitle => "Your sales funnel, in a minute", "一分钟建立你的商机漏斗";
    WelcomeLead => "A funnel tracks how deals flow, not just what reps did: every stage change is recorded, so conversion, dwell time and bottlenecks come from data instead of gut feeling.", "漏斗关注商机如何流动，而不只是销售做了什么：每次阶段变化都会被记录，转化率、停留时间和瓶颈都来自数据，而不是感觉。";
    PrivacyNote => "Everything stays in this browser. Nothing is sent anywhere.", "所有数据只保存在本浏览器中，不会发送到任何地方。";
    JourneyTitle => "Customer journey", "客户旅程";
    JourneyBody => "Stages named after what the customer is doing: aware, interested, evaluating, deciding.", "按客户所处的状态划分阶段：认知、意向、评估、决策。";
    UseJourney => "Use customer journey template", "使用客户旅程模板";
    B2bTitle => "B2B sales", "B2B 销售";
    B2bBody => "A classic B2B cycle: qualification, needs analysis, demo, negotiation.", "经典 B2B 销售流程：初步沟通、需求分析、方案演示、商务谈判。";
    UseB2b => "Use B2B template", "使用 B2B 模板";
    DemoTitle => "Demo dataset", "演示数据";
    DemoBody => "About 300 deals over the past 12 months, with skips, back-moves, wins and losses, five owners and five sources.", "过去 12 个月约 300 个商机，包含跳阶段、退回、赢单和输单，5 位负责人和 5 个来源。";
    LoadDemo => "Load demo dataset", "加载演示数据";
    // Analytics dashboard
    Analytics => "Analytics", "数据分析";
    Period => "Period", "时间段";
    AllTime => "All time", "全部时间";
    Last30 => "Last 30 days", "最近 30 天";
    Last90 => "Last 90 days", "最近 90 天";
    Last365 => "Last 12 months", "最近 12 个月";
    Everyone => "All", "全部";
    CustomHorizon => "Custom T (days)", "自定义 T（天）";
    StrictMode => "Count only actual entries (strict)", "只统计实际进入（严格模式）";
    ComparePrevious => "Compare with the previous period", "与上一时间段对比";
    Computing => "Computing…", "正在计算…";
    NoDataYet => "No deals match these filters yet.", "当前筛选条件下还没有商机。";
    FunnelChart => "Funnel", "漏斗";
    FunnelExplain => "Deals created in the period that reached each stage (a skip passes through the stages it skips). Click a bar to list its deals.", "时间段内创建、到达各阶段的商机数（跳过的阶段也算到达）。点击条形可查看对应商机。";
    FunnelBarLabel => "{stage}: {n} deals reached", "{stage}：{n} 个商机到达";
    FunnelBarTip => "{n} deals created in the period reached {stage} or a later stage", "时间段内创建的商机中，有 {n} 个到达「{stage}」或之后的阶段";
    DropOffLabel => "−{p} drop-off", "流失 {p}";
    DealsBehind => "Deals that reached {stage}", "到达「{stage}」的商机";
    ConversionTable => "Stage conversion", "阶段转化率";
    Cohort => "Entered", "进入数";
    CohortTip => "Deals that first reached the stage in the period", "时间段内首次到达该阶段的商机数";
    ToNextToDate => "→ next (to date)", "→ 下一阶段（至今）";
    ToNextClosed => "→ next (closed only)", "→ 下一阶段（仅已结束）";
    WonWithinYear => "Won within a year (estimate)", "一年内赢单（估计）";
    WonWithinYearTip => "Chance that a deal entering this stage is won within 365 days, with open deals counted as undecided rather than lost (Aalen–Johansen): the unbiased figure.", "进入该阶段的商机在 365 天内赢单的概率，未结束的商机视为尚未确定而非输单（Aalen–Johansen）：无偏估计。";
    ToWonToDate => "Won so far ÷ entered", "已赢单 ÷ 进入数";
    ToWonToDateTip => "Deals already won ÷ deals that entered: open deals count as not won, so this runs low while deals are still open.", "已赢单的商机 ÷ 进入的商机：未结束的商机算作未赢，因此在商机尚未结束时偏低。";
    ToWonClosed => "Won ÷ closed", "赢单 ÷ 已结束";
    ToWonClosedTip => "Won ÷ (won + lost): open deals are left out, so this runs high when losses take longer to record than wins.", "赢单 ÷（赢单 + 输单）：不计未结束的商机，因此当输单比赢单记录得更晚时偏高。";
    DeltaNext => "Δ next (pts)", "Δ 下一阶段（百分点）";
    DeltaWon => "Δ won (pts)", "Δ 赢单（百分点）";
    DeltaDwell => "Δ median days in stage", "Δ 阶段停留中位天数";
    RateTip => "{a} ÷ {b} deals", "{a} ÷ {b} 个商机";
    SmallSampleTip => "Fewer than {n} deals: treat this figure with care", "少于 {n} 个商机：该数值仅供参考";
    DwellChart => "Time in stage", "阶段停留时间";
    DwellExplain => "Each visit to a stage is one sample; visits still open count for the time they have lasted so far (Kaplan–Meier), so a stage that is slowing down shows it. Box: median to 75th percentile; line: up to the 90th percentile (days).", "每次进入阶段算一个样本；尚未离开的停留按已停留的时间计入（Kaplan–Meier），因此阶段变慢时能及时反映。方框：中位数到第 75 百分位；线：到第 90 百分位（天）。";
    DwellTip => "median {p50} d, p75 {p75} d, p90 {p90} d over {n} finished and {r} still open visits", "{n} 次已结束、{r} 次尚未结束的停留：中位数 {p50} 天，p75 {p75} 天，p90 {p90} 天";
    DwellNotMeasured => "{stage}: time in stage not measured — {n} of {m} finished visits left the moment they entered (the data gives one date for both steps).", "「{stage}」：停留时间无法测量——{m} 次已结束的停留中有 {n} 次在进入的同一时刻离开（数据对两个步骤只给了一个日期）。";
    DwellNotYet => "{stage}: median not known yet — more than half of its visits are still open ({n}).", "「{stage}」：中位数尚不可知——超过一半的停留尚未结束（{n} 次）。";
    DwellOpenEnded => "{stage}: more than {p} of visits are still open past every finished one, so the {q}th percentile is not known yet.", "「{stage}」：超过 {p} 的停留在所有已结束的停留之后仍未结束，因此第 {q} 百分位尚不可知。";
    NDaysShort => "{n} d", "{n} 天";
    WinCurvesChart => "Chance to win within T days", "T 天内赢单的概率";
    WinExplain => "After a deal first reaches a stage: the share that wins within T days. Lost deals count as a competing outcome and open deals as still undecided (Aalen–Johansen), so the chance is not overstated.", "商机首次到达某阶段后，在 T 天内赢单的比例。输单作为竞争结局、未结束的商机视为尚未确定（Aalen–Johansen 方法），因此不会高估概率。";
    CurveTip => "{stage}: {n} deals", "{stage}：{n} 个商机";
    WinTable => "Win within T days, with 95% interval", "T 天内赢单概率（含 95% 区间）";
    WithinDays => "≤ {n} days", "≤ {n} 天";
    WinCellTip => "95% interval {lo}–{hi}; lost within the same time: {lost}", "95% 区间 {lo}–{hi}；同期输单：{lost}";
    StuckDeals => "Stuck deals", "停滞商机";
    NoStuckDeals => "No deal has waited longer than its stage's limit.", "没有商机超过所在阶段的停留上限。";
    StuckLine => "{stage}: {d} days (limit {limit})", "{stage}：{d} 天（上限 {limit}）";
    BiggestDropOff => "Biggest drop-off", "最大流失";
    DropOffCallout => "{stage}: {p} of closed deals moved on, vs {q} across the pipeline (n = {n}).", "「{stage}」：已结束的商机中 {p} 进入下一阶段，全漏斗为 {q}（n = {n}）。";
    SlowestNeedsTwo => "Needs a measured median time in at least two stages to compare.", "至少需要两个阶段有可测的停留中位数才能比较。";
    SlowestStage => "Slowest stage", "最慢阶段";
    DwellCallout => "{stage}: median {d} days, vs {q} days across the pipeline (n = {n}).", "「{stage}」：中位停留 {d} 天，全漏斗为 {q} 天（n = {n}）。";
    NotEnoughData => "Not enough closed deals yet.", "已结束的商机还不够多。";
    SalesVelocity => "Sales velocity", "销售速度";
    PerDay => "per day", "/ 天";
    VelocityCallout => "{open} open × {win} win rate × {avg} average won ÷ {days} days cycle", "{open} 个进行中 × {win} 赢单率 × {avg} 平均赢单金额 ÷ {days} 天周期";
    VelocityTip => "Open deals × win rate × average won amount ÷ average days from creation to win", "进行中商机数 × 赢单率 × 平均赢单金额 ÷ 从创建到赢单的平均天数";
    // Forecast
    Forecast => "Forecast", "销售预测";
    ForecastPeriod => "Forecast period", "预测时间段";
    RestOfMonth => "Rest of this month", "本月剩余时间";
    RestOfQuarter => "Rest of this quarter", "本季度剩余时间";
    Next30 => "Next 30 days", "未来 30 天";
    Next90 => "Next 90 days", "未来 90 天";
    Simulating => "Simulating…", "正在模拟…";
    NotEnoughHistoryTitle => "Not enough history for a forecast yet", "历史数据还不足以做预测";
    NotEnoughHistoryBody => "Only {n} deals have been won or lost so far. A data-driven forecast needs at least {min} closed deals to say anything reliable; until then, use your stage probabilities and the reps' commit.", "目前只有 {n} 个商机已赢单或输单。数据驱动的预测至少需要 {min} 个已结束的商机才可靠；在此之前，请参考阶段概率和销售的承诺。";
    ExpectedRevenue => "Expected won revenue", "预计赢单收入";
    ExpectedTip => "Σ probability × amount over {n} open deals, plus deals likely to be created and won in the period", "{n} 个进行中商机的 概率 × 金额 之和，加上预计在本期新建并赢单的商机";
    OpenPlusNew => "{open} from open deals + {new} from new deals", "进行中商机 {open} + 新商机 {new}";
    Range => "Likely range (P10–P90)", "可能区间（P10–P90）";
    RangeTip => "Monte Carlo over {t} simulated periods (seeded, reproducible)", "基于 {t} 次蒙特卡洛模拟（固定随机种子，可复现）";
    MedianLine => "median {p50} · {t} trials", "中位数 {p50} · {t} 次模拟";
    WeightedPipeline => "Weighted pipeline", "加权管道";
    UndatedDeals => "{n} open deals ({v}) have no expected close date: the weighted pipeline and the commit cannot count them in any period. Add a date on each deal.", "有 {n} 个进行中的商机（{v}）没有预计成交日期：加权管道和承诺数无法把它们计入任何时期。请为这些商机填写日期。";
    WeightedTip => "Σ amount × the stage's set probability, over deals expected to close in the period", "预计在本期成交的商机：金额 × 阶段设定概率 之和";
    CommitLine => "reps' commit {commit} · best case {best}", "销售承诺 {commit} · 最佳情况 {best}";
    StaleHistory => "The newest change in this pipeline is from {date}, {n} days before the forecast date. No deals were created in the 90 days before it, and open deals have sat in their stages longer than almost any deal before them, so the history gives them little chance to close now: that is why the forecast is {total}.", "该漏斗最新的变更是 {date}，比预测日期早 {n} 天。此前 90 天内没有新建商机，未结束的商机在当前阶段停留的时间几乎超过以往所有商机，因此历史数据认为它们现在成交的可能很小：这就是预测为 {total} 的原因。";
    ForecastFromThen => "Forecast as of {date}", "以 {date} 为预测日期";
    ForecastAsOfNote => "Forecast as of {date}, the newest change in the data, as if it were today.", "以数据中最新的变更日期 {date} 作为“今天”进行预测。";
    ForecastFromToday => "Back to today", "回到今天";
    UnpricedDeals => "{n} open deals have no amount: they add {w} expected wins but no money to the forecast.", "{n} 个未结束的商机没有金额：它们贡献 {w} 个预期赢单，但不计入预测金额。";
    KindCall => "Call", "电话";
    KindMeeting => "Meeting", "会议";
    KindEmail => "Email", "邮件";
    KindNote => "Note", "备注";
    KindTask => "Task", "任务";
    LogActivity => "Log activity", "记录活动";
    ActivitiesN => "Activities ({n})", "活动（{n}）";
    LogActivityOn => "Log activity on {deal} (L)", "为「{deal}」记录活动（L）";
    ActivityType => "Type", "类型";
    DueAt => "Due", "截止时间";
    ScheduleTask => "Schedule task", "安排任务";
    SaveActivity => "Save activity", "保存活动";
    MarkDone => "Done: {subject}", "完成：{subject}";
    Done => "Done", "完成";
    RescheduleTask => "Due date of {subject}", "「{subject}」的截止时间";
    NMinutes => "{n} min", "{n} 分钟";
    Overdue => "overdue", "已逾期";
    TodayView => "Today", "今日";
    DownloadIcs => "Tasks as calendar (.ics)", "导出任务日历（.ics）";
    OverdueN => "Overdue ({n})", "已逾期（{n}）";
    DueTodayN => "Due today ({n})", "今天到期（{n}）";
    UpcomingN => "Next 7 days ({n})", "未来 7 天（{n}）";
    NothingHere => "Nothing here.", "暂无。";
    NoNextStepN => "Open deals without a next step ({n})", "没有下一步的进行中商机（{n}）";
    EveryDealHasNextStep => "Every open deal has a next step.", "每个进行中的商机都有下一步。";
    DealsWithoutNextStep => "Deals without a next step", "没有下一步的商机";
    ScheduleNextStep => "Schedule next step", "安排下一步";
    ScheduleNextStepFor => "Schedule next step for {deal}", "为「{deal}」安排下一步";
    StuckN => "Stuck in their stage ({n})", "在阶段中停滞（{n}）";
    RemindersUnsupported => "This browser cannot show reminders.", "此浏览器无法显示提醒。";
    RemindersOn => "Reminders on while this tab is open.", "此标签页打开期间将提醒到期任务。";
    RemindersBlocked => "Reminders are blocked in the browser's site settings.", "浏览器的网站设置已屏蔽提醒。";
    TurnOnReminders => "Remind me when tasks are due", "任务到期时提醒我";
    TaskDueNotice => "Due now: {subject}", "现在到期：{subject}";
    NextStep => "Next:", "下一步：";
    NextStepOverdue => "Overdue:", "已逾期：";
    NoNextStep => "No next step", "没有下一步";
    Timeline => "History", "历史记录";
    ShowEntries => "Show", "显示";
    ShowAll => "Everything", "全部";
    ShowStageChanges => "Stage changes", "阶段变更";
    ShowActivities => "Activities", "活动";
    NextStepField => "Next step (optional)", "下一步（可选）";
    NextStepDue => "Next step due", "下一步截止时间";
    ActivityHeading => "Selling effort", "销售跟进";
    ActivityExplain => "From the activity log: calls, meetings, emails and notes count when they happened, tasks when they were done; open tasks are plans and do not count.", "来自活动记录：电话、会议、邮件和备注按发生时间计入，任务按完成时间计入；未完成的任务只是计划，不计入。";
    TouchesBeforeClose => "Touches per deal before the close: won / lost", "成交前每个商机的跟进次数：赢单 / 输单";
    TouchesWonLost => "over {won} won and {lost} lost deals", "基于 {won} 个赢单和 {lost} 个输单";
    DaysSinceTouch => "Days since the last touch, open deals (median)", "进行中商机距上次跟进的天数（中位数）";
    IdleLine => "90th percentile {p90} days; {open} open deals, {never} never touched (counted from creation)", "第 90 百分位 {p90} 天；{open} 个进行中商机，其中 {never} 个从未跟进（从创建起计算）";
    TouchesPerWeek => "Touches per owner per week (weeks start on Monday)", "每位负责人每周跟进次数（每周从周一开始）";
    LongestIdle => "Open deals waiting longest for a touch", "最久未跟进的进行中商机";
    IdleDays => " · {d} days since the last touch · {owner}", " · 距上次跟进 {d} 天 · {owner}";
    IdleNever => " · never touched, {d} days since creation · {owner}", " · 从未跟进，创建至今 {d} 天 · {owner}";
    Leads => "Leads", "线索";
    LeadCounts => "{open} open ({u} unassigned) · {q} qualified · {d} disqualified", "{open} 条待处理（{u} 条未分配）· {q} 条已转化 · {d} 条无效";
    LeadsShownOf => "Showing the newest {shown} of {n}.", "显示最新的 {shown} 条，共 {n} 条。";
    AddLeads => "Add leads", "添加线索";
    QuickAddLead => "Quick add (Enter)", "快速添加（回车）";
    QuickAddHint => "Name, company, email or phone, source", "姓名，公司，邮箱或电话，来源";
    PasteLeads => "Or paste several, one per line", "或粘贴多条，每行一条";
    AddNLeads => "Add {n} leads", "添加 {n} 条线索";
    ImportLeadsCsv => "Import leads (CSV or Excel)…", "导入线索（CSV 或 Excel）…";
    LeadsAdded => "{n} leads added.", "已添加 {n} 条线索。";
    LeadColumnsMissing => "No column of this file is a lead's name or company (looked for Name / 姓名 / 线索 and Company / 公司).", "文件中没有可识别为线索姓名或公司的列（支持 Name / 姓名 / 线索 与 Company / 公司）。";
    OwnersN => "Owners ({n})", "负责人（{n}）";
    OwnersHeading => "Owners", "负责人";
    OwnerActive => "{name} takes new leads", "{name} 接收新线索";
    NewOwner => "New owner", "新负责人";
    AddOwner => "Add owner", "添加负责人";
    OwnerAdded => "Owners saved.", "负责人已保存。";
    CreateOwnersFromNames => "Create {n} owners from names already on deals", "根据商机上已有的姓名创建 {n} 位负责人";
    AssignLeadsHeading => "Assign leads", "分配线索";
    AssignTo => "Round robin over", "轮流分配给";
    AssignBySource => "By source: each source to one of the chosen owners", "按来源：每个来源对应一位所选负责人";
    AssignUnassigned => "Assign {n} unassigned leads (and new ones from now on)", "分配 {n} 条未分配线索（之后的新线索也照此分配）";
    LeadsAssigned => "{n} leads assigned; new leads follow the same rule.", "已分配 {n} 条线索；新线索将按同一规则分配。";
    RuleRoundRobin => "New leads: round robin over {owners}.", "新线索：在 {owners} 之间轮流分配。";
    RuleBySource => "New leads: by source ({map}); others to {fallback}.", "新线索：按来源分配（{map}）；其他分配给 {fallback}。";
    LeadsOpen => "Open", "待处理";
    LeadsQualified => "Qualified", "已转化";
    LeadsDisqualified => "Disqualified", "无效";
    LeadQualified => "{lead} is now a deal.", "「{lead}」已转为商机。";
    LeadDisqualified => "{lead} disqualified.", "「{lead}」已判定无效。";
    CallLogged => "Call with {lead} logged.", "已记录与「{lead}」的通话。";
    LeadMeta => "Source {source} · owner {owner} · arrived {when} · touches: {calls}", "来源 {source} · 负责人 {owner} · 创建于 {when} · 跟进 {calls} 次";
    Unassigned => "unassigned", "未分配";
    AssignedRoundRobin => "assigned round robin ({d})", "轮流分配（{d}）";
    AssignedBySource => "assigned by source ({d})", "按来源分配（{d}）";
    AssignedByField => "assigned by {field} ({d})", "按{field}分配（{d}）";
    RuleByField => "New leads: by {field} ({map}); others: {fallback}.", "新线索：按{field}分配（{map}）；其他：{fallback}。";
    AssignHow => "Rule", "规则";
    AssignRoundRobin => "Round robin over chosen owners", "在所选负责人之间轮流";
    AssignByField => "By a field's value", "按字段值";
    RuleField => "Field", "字段";
    FieldCompany => "company", "公司";
    FieldEmailDomain => "email domain", "邮箱域名";
    FieldPhonePrefix => "phone prefix", "电话前缀";
    FieldNotes => "notes", "备注";
    ConditionValue => "Value {n}", "值 {n}";
    ConditionOwner => "Owner for value {n}", "值 {n} 的负责人";
    RemoveCondition => "Remove condition {n}", "删除条件 {n}";
    AddCondition => "Add a condition", "添加条件";
    EveryoneElse => "All other leads", "其他线索";
    OpenDeal => "Open the deal", "打开商机";
    DupEmail => "same email", "邮箱相同";
    DupPhone => "same phone", "电话相同";
    DupCompany => "similar company name", "公司名称相近";
    PossibleDuplicate => "Possible duplicate of {other} ({why}).", "可能与「{other}」重复（{why}）。";
    MergeInto => "Merge into {other}", "合并到「{other}」";
    LeadsMerged => "{lead} merged.", "「{lead}」已合并。";
    LogCallNow => "Log a call now", "记录一次通话";
    QualifyLead => "Make it a deal", "转为商机";
    DisqualifyReason => "Reason", "原因";
    OtherReason => "Other…", "其他…";
    OtherReasonText => "Other reason", "其他原因";
    Disqualify => "Disqualify", "判定无效";
    LeadFunnelHeading => "From lead to signed deal", "从线索到签约";
    LeadFunnelExplain => "All leads so far: how many became deals, how far those deals got in this pipeline, and how fast leads were first answered (hours from arrival to the first call, meeting, email or note on the lead or its deal).", "截至目前的全部线索：多少转为商机、这些商机在本漏斗中走到哪一步，以及线索首次响应的速度（从创建到线索或其商机上第一次电话、会议、邮件或备注的小时数）。";
    NoLeadsYet => "No leads yet: add some on the Leads page.", "还没有线索：请在“线索”页面添加。";
    LeadToDeal => "Lead → deal", "线索 → 商机";
    Won => "Won", "赢单";
    ResponseHours => "First response (median h)", "首次响应（中位小时）";
    ResponseLine => "First response: median {median} h, 90th percentile {p90} h ({n} of {all} leads answered).", "首次响应：中位数 {median} 小时，第 90 百分位 {p90} 小时（{all} 条线索中 {n} 条已响应）。";
    BySource => "By source", "按来源";
    ByOwner => "By owner", "按负责人";
    DisqualifiedBecause => "Disqualified:", "无效原因：";
    Accounts => "Accounts", "客户";
    AccountDeals => "Deals", "商机";
    SearchAccounts => "Search accounts", "搜索客户";
    DealsNotLinked => "{n} deals name an account or contact that has no record yet.", "有 {n} 个商机填写的客户或联系人还没有对应的记录。";
    LinkDeals => "Create the records and link them", "创建记录并关联";
    LostShort => "Lost", "输单";
    TotalWon => "Total won", "赢单总额";
    WinRate => "Win rate (won ÷ closed)", "赢率（赢单 ÷ 已结束）";
    Contacts => "Contacts", "联系人";
    AccountNotFound => "This account does not exist (any more).", "该客户不存在（或已删除）。";
    BackToAccounts => "← Accounts", "← 客户";
    LeadNotFound => "This lead does not exist (any more).", "该线索不存在（或已删除）。";
    StartAtLead => "Start at lead", "从线索开始";
    Menu => "Menu", "菜单";
    WeightedShort => "weighted {v}", "加权 {v}";
    ColumnWeightedTip => "The total times this stage's win probability (set in Stage definitions)", "总额乘以该阶段的赢单概率（在阶段定义中设置）";
    LostHeading => "Why deals are lost", "丢单原因";
    LostLine => "{n} deals lost in this period, by the reason recorded with the move to Lost.", "本期丢单 {n} 个，按移入“输单”时记录的原因统计。";
    NoLostDeals => "No deals were lost in this period.", "本期没有丢单。";
    NoReasonGiven => "(no reason)", "（未填原因）";
    LostDeals => "Lost deals", "丢单数";
    LostByReason => "Lost deals by reason", "按原因统计的丢单";
    LostByReasonStage => "Lost deals by reason and the stage they were lost from", "按原因和丢单前所处阶段统计";
    LostFromStage => "Lost from", "丢单前阶段";
    LostByOwner => "Lost deals by owner", "按负责人统计的丢单";
    LostBySource => "Lost deals by source", "按来源统计的丢单";
    ErrLostReasonRequired => "Choose why the deal was lost (this pipeline asks for a reason).", "请选择丢单原因（此漏斗要求填写原因）。";
    OtherLostReason => "Other…", "其他…";
    OtherLostReasonText => "Other reason", "其他原因";
    LostReasonsField => "Reasons offered when a deal is lost (one per line)", "丢单时可选的原因（每行一个）";
    RequireLostReason => "A lost deal needs a reason", "丢单必须填写原因";
    ErrDuplicatePipelineName => "There is already a pipeline called \"{v}\": choose another name.", "已有名为「{v}」的漏斗，请换一个名称。";
    ErrCurrencySign => "\"{typed}\" is written in {allowed}, but the currency is {currency}: choose {allowed} as the currency, or type the amount without the sign.", "“{typed}”带的是 {allowed} 的符号，但币种是 {currency}：请把币种选为 {allowed}，或去掉金额中的符号。";
    NOfMDeals => "{n} of {m} deals", "{n} / {m} 个商机";
    FindDeals => "Find deals", "查找商机";
    SearchDeals => "Search deals", "搜索商机";
    SearchDealsHint => "Title, account, contact, notes", "名称、客户、联系人、备注";
    FilterNoNextStep => "No next step", "无下一步";
    FilterStuck => "Stuck", "停滞";
    ClearFilters => "Clear filters", "清除筛选";
    SavedViews => "Saved views", "已保存的视图";
    ViewName => "Name this view", "视图名称";
    SaveView => "Save view", "保存视图";
    DeleteView => "Delete view", "删除视图";
    CloseAny => "Any time", "不限";
    CloseOverdue => "Overdue", "已逾期";
    CloseThisMonth => "This month", "本月";
    CloseNext30 => "Next 30 days", "未来 30 天";
    CloseNotSet => "Not set", "未设置";
    DiscardTypedChanges => "Discard the changes you typed?", "放弃已输入的修改吗？";
    FunnelLeadBarLabel => "{stage}: {n} leads", "{stage}：{n} 条线索";
    StartOnToday => "Open Funnelscope on Today", "打开时显示今日";
    StartAtLeadNote => "Starting at lead: {n} leads of this period (by their owner and source; tags do not apply to leads), followed to Won in this pipeline. Leads qualified into another pipeline are left out.", "从线索开始：本期 {n} 条线索（按线索的负责人和来源筛选；标签不适用于线索），跟踪到本管道的赢单。转入其他管道的线索不计入。";
    XlsxNotWorkbook => "This is not an Excel workbook (.xlsx). Older .xls files: save as .xlsx or CSV UTF-8.", "这不是 Excel 工作簿（.xlsx）。旧版 .xls 文件请另存为 .xlsx 或 CSV UTF-8。";
    XlsxUnsupported => "The workbook is password-protected or compressed in a way this app cannot read: save it again without a password.", "该工作簿设有密码或使用了无法读取的压缩方式：请去掉密码后重新保存。";
    XlsxCorrupt => "The workbook is damaged (part {part}): open it in Excel or WPS and save it again.", "工作簿已损坏（{part}）：请在 Excel 或 WPS 中打开后重新保存。";
    XlsxTooBig => "The workbook unpacks to more than 256 MB: split it, or save the sheet as CSV.", "工作簿解压后超过 256 MB：请拆分，或将该表另存为 CSV。";
    BackToLeads => "← Leads", "← 线索";
    LeadName => "Name", "姓名";
    Email => "Email", "邮箱";
    Phone => "Phone", "电话";
    ContactNotFound => "This contact does not exist (any more).", "该联系人不存在（或已删除）。";
    ContactDeals => "Deals with this contact", "该联系人的商机";
    SaveContact => "Save contact", "保存联系人";
    ContactSaved => "Contact saved.", "联系人已保存。";
    RenameAccount => "Account name", "客户名称";
    SaveName => "Rename", "重命名";
    AccountRenamed => "Account renamed.", "客户已重命名。";
    MergeAccountInto => "Merge this account into", "将此客户合并到";
    MergeAccountButton => "Merge", "合并";
    AccountsMerged => "Merged: its deals, contacts and activities are now on {name}.", "已合并：其商机、联系人和活动已归入「{name}」。";
    ChooseAccount => "Choose an account", "选择客户";
    ActivitiesOnDealsAndContacts => "Activities on its deals and contacts", "其商机和联系人的活动";
    AccountDealsLine => "{open} open · {won} won · {lost} lost", "{open} 个进行中 · {won} 个赢单 · {lost} 个输单";
    PooledWarning => "{n} deals sit in stages with little history at their age: their probabilities lean mostly on all stages pooled, the more so the less history there is.", "{n} 个商机所在阶段在其停留时长上历史数据少：其概率主要参考所有阶段的合并估计，历史越少参考越多。";
    WhatIf => "What if…", "假设分析";
    NoChange => "(no change)", "（不变）";
    ImproveConversionAt => "Better conversion at", "提升转化率的阶段";
    ByPoints => "by points", "提升百分点";
    ShortenDwellAt => "Shorter time in", "缩短停留的阶段";
    ByDays => "by days", "缩短天数";
    ExtraDeals => "More deals entering", "新增进入的商机数";
    WhereToCoach => "Where one point of better conversion adds most this period", "本期提升 1 个百分点转化率收益最大的阶段";
    CoachLine => "{stage}: +{v}", "{stage}：增加 {v}";
    DealScores => "Deal scores", "商机评分";
    Probability => "Win probability", "赢单概率";
    ExpectedValue => "Expected value", "期望值";
    DaysInStage => "Days in stage", "阶段停留天数";
    Reasons => "Why", "原因";
    AtRisk => "at risk", "有风险";
    AtRiskTip => "Waiting longer than 90% of past visits to this stage, or half as likely to win as a fresh deal here", "停留时间超过该阶段 90% 的历史记录，或赢单概率不到新进入商机的一半";
    ReasonStage => "{p} of deals like it ({stage}, same age) won within {d} days", "类似商机（{stage}、相同停留时间）{d} 天内赢单比例为 {p}";
    ReasonOverdue => "{d} days in stage vs typical {typ}", "已停留 {d} 天，通常为 {typ} 天";
    ReasonFresh => "only {d} days in stage (typical {typ})", "仅停留 {d} 天（通常 {typ} 天）";
    ReasonLarge => "3× the median won amount", "金额为赢单中位数的 3 倍以上";
    ReasonOwnerStrong => "owner wins more often than the team", "负责人赢单率高于团队";
    ReasonOwnerWeak => "owner wins less often than the team", "负责人赢单率低于团队";
    ReasonSourceStrong => "source converts better than average", "来源转化率高于平均";
    ReasonSourceWeak => "source converts worse than average", "来源转化率低于平均";
    ReasonPooled => "little history in this stage at this age: mostly the all-stage estimate", "该阶段此停留时长的历史数据少：主要参考全部阶段的估计";
    Backtest => "How accurate each method would have been", "各方法的历史准确度";
    BacktestExplain => "Each past month was forecast with only what was known at its start, then compared with what was actually won. MAPE: average size of the miss; bias: over (+) or under (−) forecasting.", "用每个月初已知的信息预测当月，再与实际赢单比较。MAPE：平均偏差幅度；偏差：高估（+）或低估（−）。";
    Month => "Month", "月份";
    ActualWon => "Actually won", "实际赢单";
    DataDriven => "Data-driven", "数据驱动";
    Bias => "Bias", "偏差";
    RepsCommit => "Reps' commit", "销售承诺";
    BacktestFieldsNote => "Stage moves and the reps' forecast calls are replayed as they were; amounts, expected close dates and stage probabilities are today's values.", "阶段变化和销售的预测判断按当时情况回放；金额、预计成交日期和阶段概率使用当前值。";
    Calibration => "Calibration", "校准";
    ReliabilityChart => "Predicted probability against how often those deals won", "预测概率与实际赢单比例对比";
    Predicted => "predicted", "预测值";
    BucketTip => "{from}–{to}%: predicted {p}, won {r} of {n} deals", "{from}–{to}%：预测 {p}，{n} 个商机中赢单 {r}";
    StageProbabilities => "Stage probabilities: set vs realized", "阶段概率：设定值与实际值";
    SetProbability => "Set", "设定值";
    RealizedRate => "Realized", "实际值";
    RealizedTip => "Share of deals entering the stage that were won (within a year), over {n} entries", "进入该阶段的商机中一年内赢单的比例（共 {n} 次进入）";
    Suggested => "Suggested", "建议值";
    Apply => "Apply", "应用";
    ApplyFor => "Apply suggested probability to {stage}", "将建议概率应用到「{stage}」";
    ApplyAll => "Apply all suggestions", "全部应用";
    ProbabilitiesApplied => "Stage probabilities updated.", "阶段概率已更新。";
    ForecastCategoryLabel => "Forecast category", "预测类别";
    CatPipeline => "Pipeline", "管道";
    CatBestCase => "Best case", "最佳情况";
    CatCommit => "Commit", "承诺";
    CatOmitted => "Omitted", "不计入";
    // Import / export
    ImportExport => "Import & export", "导入与导出";
    ExportTitle => "Export", "导出";
    ExportBody => "The whole workspace (pipelines, stage definitions, deals and their full history) as one versioned JSON file. Share it with your team or keep it as a backup.", "整个工作区（漏斗、阶段定义、商机及其完整历史）导出为一个带版本号的 JSON 文件，可与团队共享或作为备份。";
    DownloadJson => "Download workspace (JSON)", "下载工作区（JSON）";
    ExportPassphrase => "Passphrase to encrypt the file (optional)", "加密文件的口令（可选）";
    ExportedEncrypted => "Downloaded, encrypted with your passphrase (AES-256-GCM). Without the passphrase nobody can read it, including you.", "已下载，并用你的口令加密（AES-256-GCM）。没有口令任何人都无法读取，包括你自己。";
    EncryptedFile => "Encrypted file", "加密文件";
    EncryptedFileBody => "This file is an encrypted Funnelscope export. Enter its passphrase to read it.", "这是一个加密的 Funnelscope 导出文件。请输入口令以读取。";
    ImportPassphrase => "Passphrase", "口令";
    Decrypt => "Decrypt", "解密";
    WrongPassphrase => "Wrong passphrase (or the file was altered): nothing was imported.", "口令错误（或文件已被改动）：没有导入任何内容。";
    DownloadPipelineJson => "Download this pipeline only (JSON)", "仅下载本漏斗（JSON）";
    DownloadDealsCsv => "Download this pipeline's deals (CSV for Excel / WPS)", "下载本漏斗的商机（CSV，适用于 Excel / WPS）";
    DownloadReportCsv => "Download this report (CSV for Excel / WPS)", "下载此报表（CSV，适用于 Excel / WPS）";
    ImportTitle => "Import", "导入";
    ImportBody => "A Funnelscope JSON export replaces your workspace or is merged into it (a backup is taken first either way). The Maven sales-pipeline CSV is added as a new pipeline; any other spreadsheet (CSV, UTF-8) is read into the current pipeline after you match its columns. Files are checked completely before anything changes.", "Funnelscope 导出的 JSON 可替换当前工作区，或合并到其中（两种方式都会先自动备份）。Maven 销售管道 CSV 会作为新漏斗加入；其他表格（CSV，UTF-8）在匹配列之后导入当前漏斗。文件会先完整检查，检查通过前不会改动任何数据。";
    ChooseFile => "Choose a file (.json, .csv or .xlsx)", "选择文件（.json、.csv 或 .xlsx）";
    ReadingFile => "Reading the file…", "正在读取文件…";
    FileTooLarge => "it is {size} MB, more than the {max} MB a browser tab can import safely", "文件大小为 {size} MB，超过浏览器标签页可安全导入的 {max} MB";
    NotTextFile => "it is not UTF-8 text", "它不是 UTF-8 文本";
    FileUnreadable => "the browser could not read it (it may have been moved or changed while it was read)", "浏览器无法读取该文件（可能在读取时被移动或修改）";
    FileRejected => "Nothing was imported from {file}: {why}", "未从 {file} 导入任何内容：{why}";
    MapColumns => "Match the spreadsheet's columns", "匹配表格的列";
    MapColumnsBody => "{n} rows will become deals in “{pipeline}”. Check what each column means (guessed from its name); stage names the pipeline does not have become new stages.", "{n} 行将成为「{pipeline}」中的商机。请确认每列的含义（已根据列名猜测）；漏斗中没有的阶段名称会新建为阶段。";
    ColumnInFile => "Column in the file", "文件中的列";
    Example => "Example", "示例";
    MeansField => "Means", "含义";
    MeaningOf => "Meaning of column {col}", "列「{col}」的含义";
    IgnoreColumn => "(ignore)", "（忽略）";
    RecordId => "Id", "编号";
    DatesWritten => "Dates like 3/5/2024 are written", "类似 3/5/2024 的日期写法";
    MonthFirst => "month first (3/5 = March 5)", "月在前（3/5 = 3 月 5 日）";
    DayFirst => "day first (3/5 = 3 May)", "日在前（3/5 = 5 月 3 日）";
    DatesAmbiguous => "Every date in this file reads both ways: check the choice above.", "该文件中的日期两种读法都成立：请确认上面的选择。";
    ImportDealsInto => "Import {n} deals into {pipeline}", "将 {n} 个商机导入「{pipeline}」";
    DealsImported => "Imported {d} deals.", "已导入 {d} 个商机。";
    StagesAdded => "New stages: {s}.", "新建阶段：{s}。";
    NeedPipelineFirst => "Create or choose a pipeline first: the deals go into it.", "请先创建或选择一个漏斗，商机将导入其中。";
    RowsRejected => "{n} rows cannot be imported: {list}", "{n} 行无法导入：{list}";
    ReadyToImport => "Ready to import", "准备导入";
    ReplaceSummary => "This file holds {p} pipelines, {d} deals and {e} stage changes. Replacing keeps a backup of your current workspace.", "该文件包含 {p} 个漏斗、{d} 个商机和 {e} 条阶段变化。替换前会备份当前工作区。";
    AddSummary => "This file becomes {p} new pipeline with {d} deals and {e} stage changes.", "该文件将成为 {p} 个新漏斗，包含 {d} 个商机和 {e} 条阶段变化。";
    ReplaceWorkspace => "Replace my workspace", "替换我的工作区";
    MergeWorkspace => "Merge into my workspace", "合并到我的工作区";
    MergeSummary => "Merging adds {d} deals and {e} stage changes; {c} field values edited on both sides are settled by the newer edit (listed below). A backup is taken first.", "合并将新增 {d} 个商机和 {e} 条阶段变化；双方都修改过的 {c} 个字段以较新的修改为准（见下表）。合并前会先备份。";
    ApplyMerge => "Apply the merge", "执行合并";
    WorkingOutMerge => "Working out the merge…", "正在计算合并结果…";
    WorkspaceMerged => "Merged: the workspace now has {d} deals.", "合并完成：工作区现有 {d} 个商机。";
    ConflictReport => "Values overridden by the merge", "合并中被覆盖的值";
    Field => "Field", "字段";
    Kept => "Kept (newer)", "保留（较新）";
    Overridden => "Overridden", "被覆盖";
    AddPipeline => "Add as a new pipeline", "作为新漏斗加入";
    PipelineAdded => "Added a pipeline with {d} deals.", "已加入一个包含 {d} 个商机的漏斗。";
    WorkspaceReplaced => "Workspace replaced: {d} deals.", "工作区已替换：{d} 个商机。";
    Backups => "Backups", "备份";
    NoBackups => "No backups yet: one is taken automatically before each replace.", "还没有备份：每次替换前会自动备份。";
    BackupLine => "{when} · {d} deals", "{when} · {d} 个商机";
    Restore => "Restore", "恢复";
    RestoreBackup => "Restore the backup from {when}", "恢复 {when} 的备份";
    BackupRestored => "Backup restored (the workspace it replaced was backed up too).", "已恢复备份（被替换的工作区也已备份）。";
    // Import errors
    ImpSyntax => "not valid JSON at line {line}, column {col} ({detail})", "第 {line} 行第 {col} 列不是有效的 JSON（{detail}）";
    WhatPipelines => "pipelines", "漏斗";
    WhatDeals => "deals", "商机";
    WhatEvents => "stage changes", "阶段变化";
    WhatCalls => "forecast calls", "预测判断";
    WhatDeal => "deal", "商机";
    WhatStage => "stage", "阶段";
    ImpNotOurs => "this JSON is not a Funnelscope export", "该 JSON 不是 Funnelscope 导出文件";
    ImpFuture => "export version {v} is newer than this app understands ({max})", "导出版本 {v} 比本应用支持的版本（{max}）更新";
    ImpInvalid => "line {line}, column {col}: {detail}", "第 {line} 行第 {col} 列：{detail}";
    ImpDuplicate => "two records ({what}) have the id {id}", "两条记录（{what}）使用了相同的编号 {id}";
    ImpBadAmount => "deal {id} has the amount {amount} (minor units): amounts must be between 0 and {max}", "商机 {id} 的金额为 {amount}（最小货币单位）：金额必须在 0 到 {max} 之间";
    ImpUnknownRef => "record {event} points to an unknown {what} {id}", "记录 {event} 指向不存在的{what} {id}";
    ImpInvalidPipeline => "pipeline \"{name}\" breaks the stage rules: {detail}", "管道“{name}”不符合阶段规则：{detail}";
    RowTooManyStages => "\"{v}\" would be a new stage, but a pipeline has at most {max} stages: map this column to another meaning or tidy the values", "“{v}”将成为新阶段，但一个管道最多 {max} 个阶段：请把这一列改为其他含义，或整理其中的值";
    ImpDealOutside => "deal {id} is not in an existing pipeline and stage", "商机 {id} 不属于任何现有管道及阶段";
    ImpInvalidLead => "lead or owner {id}: {detail}", "线索或负责人 {id}：{detail}";
    ImpInvalidActivity => "activity {id}: {detail}", "活动 {id}：{detail}";
    WhatActivities => "activities", "活动";
    WhatActivity => "activity", "活动";
    ImpForeignStage => "event {event} moves a deal into stage {id} of another pipeline", "事件 {event} 把商机移入了另一个管道的阶段 {id}";
    ImpDateRange => "{what} {id} has the date {v}, outside 1970–2199", "{what} {id} 的日期 {v} 超出 1970–2199 年的范围";
    WhatEvent => "event", "事件";
    WhatCall => "category change", "预测类别变更";
    CsvNotUtf8 => "the file is not UTF-8 text (first bad byte at offset {byte}); if it came from Excel in Chinese it is probably GBK: save it as \"CSV UTF-8\"", "文件不是 UTF-8 文本（第一个无效字节位于偏移 {byte}）；如果来自中文版 Excel，可能是 GBK 编码：请另存为“CSV UTF-8”";
    CsvEmpty => "the file has no header row", "文件没有表头行";
    CsvColumns => "line {line} has {found} columns, the header has {expected}", "第 {line} 行有 {found} 列，表头有 {expected} 列";
    CsvParse => "line {line}: {detail}", "第 {line} 行：{detail}";
    RowAt => "line {line}, column \"{col}\": {problem}", "第 {line} 行，列“{col}”：{problem}";
    RowNotDate => "\"{v}\" is not a date", "“{v}”不是日期";
    RowNotAmount => "\"{v}\" is not an amount", "“{v}”不是金额";
    RowUnknownCurrency => "unknown currency \"{v}\"", "未知币种“{v}”";
    RowUnknownMavenStage => "unknown stage \"{v}\" (expected Prospecting, Engaging, Won or Lost)", "未知阶段“{v}”（应为 Prospecting、Engaging、Won 或 Lost）";
    RowNeedsTitle => "a deal needs a title (or at least an account)", "商机需要名称（或至少有客户）";
    RowNeedsEngage => "an Engaging, Won or Lost deal needs an engage date", "Engaging、Won 或 Lost 的商机需要 engage 日期";
    RowNeedsClose => "a Won or Lost deal needs a close date", "Won 或 Lost 的商机需要成交日期";
    RowClosesBefore => "closes before it was engaged", "成交日期早于 engage 日期";
    RowNoStage => "the pipeline has no stage to put this deal in", "漏斗中没有可放置该商机的阶段";
    // Validation messages
    ErrTitleRequired => "Give the deal a title.", "请填写商机名称。";
    ErrTooLong => "Too long: at most {max} characters.", "内容过长：最多 {max} 个字符。";
    ErrAmountNotNumber => "Amount must be a number, like 12,500 or 12500.50.", "金额必须是数字，例如 12,500 或 12500.50。";
    ErrAmountNegative => "Amount cannot be negative.", "金额不能为负数。";
    ErrAmountDecimals => "Amount can have at most 2 decimal places.", "金额最多保留 2 位小数。";
    ErrAmountTooLarge => "Amount is too large (at most 100,000,000,000).", "金额过大（最多 100,000,000,000）。";
    ErrUnknownCurrency => "Unknown currency “{v}”.", "未知币种「{v}」。";
    ErrInvalidDate => "“{v}” is not a valid date (use YYYY-MM-DD).", "「{v}」不是有效日期（格式 YYYY-MM-DD）。";
    ErrUnknownDeal => "That deal no longer exists.", "该商机已不存在。";
    ErrUnknownPipeline => "That pipeline no longer exists.", "该漏斗已不存在。";
    ErrUnknownStage => "That stage does not exist in this pipeline.", "该阶段不属于此漏斗。";
    ErrStageArchived => "That stage was removed from the pipeline.", "该阶段已从漏斗中删除。";
    ErrAlreadyInStage => "The deal is already in that stage.", "商机已在该阶段。";
    ErrNothingToUndo => "Nothing left to undo: what it changed was changed again since.", "没有可撤销的内容：相关内容之后已被再次修改。";
    ErrChangedSince => "“{v}” was changed after that (in another tab or by a merge); undo would overwrite it, so nothing was undone.", "“{v}”之后已被修改（在其他标签页或通过合并）；撤销会覆盖这些修改，因此未撤销。";
    ErrNoDealsChosen => "Choose at least one deal first.", "请先选择至少一个商机。";
    ErrDealDeleted => "This deal is in the trash. Restore it first to edit or move it.", "此商机在回收站中。请先恢复，再编辑或移动。";
    UndoBtn => "Undo", "撤销";
    RedoBtn => "Redo", "重做";
    UndoWhat => "Undo {what} (Ctrl+Z)", "撤销：{what}（Ctrl+Z）";
    RedoWhat => "Redo {what} (Ctrl+Shift+Z)", "重做：{what}（Ctrl+Shift+Z）";
    NothingToUndo => "Nothing to undo", "没有可撤销的操作";
    NothingToRedo => "Nothing to redo", "没有可重做的操作";
    UndoCreateDeal => "add {s}", "新建{s}";
    UndoEditDeal => "edit {s}", "编辑{s}";
    UndoMoveDeal => "move {s}", "移动{s}";
    UndoDeleteDeals => "delete {s}", "删除{s}";
    UndoRestoreDeals => "restore {s}", "恢复{s}";
    UndoEditDeals => "bulk edit of {s}", "批量编辑{s}";
    UndoSavePipeline => "stage changes in {s}", "{s}的阶段修改";
    UndoRemovePipeline => "remove {s}", "移除{s}";
    UndoRestorePipeline => "restore {s}", "恢复{s}";
    UndoDuplicatePipeline => "copy of {s}", "复制{s}";
    UndoEditTask => "task change {s}", "任务修改{s}";
    UndoDone => "Undone: {what}", "已撤销：{what}";
    RedoDone => "Redone: {what}", "已重做：{what}";
    NDealsObj => "{n} deals", "{n} 个商机";
    Trash => "Trash", "回收站";
    TrashIntro => "Deals and pipelines in the trash are left out of the board, the analytics and the forecast. Restore them, or empty the trash to remove them for good.", "回收站中的商机和漏斗不计入看板、分析和预测。可以恢复，或清空回收站将其永久删除。";
    TrashEmpty => "The trash is empty.", "回收站是空的。";
    DeletedAt => "Deleted", "删除时间";
    RestoreNamed => "Restore “{v}”", "恢复“{v}”";
    EmptyTrash => "Empty trash", "清空回收站";
    EmptyTrashConfirm => "Remove {n} deals for good, with their history and activities? This cannot be undone (a backup is still on the Import & export page if you exported one).", "永久删除 {n} 个商机及其历史和活动？此操作无法撤销。";
    DeleteDeal => "Move to trash", "移到回收站";
    DealInTrash => "This deal is in the trash since {v}: it is left out of the board, analytics and forecast.", "此商机自 {v} 起在回收站中：不计入看板、分析和预测。";
    TrashDealsHeading => "Deals", "商机";
    TrashPipelinesHeading => "Pipelines", "漏斗";
    PipelineDealsN => "{n} deals", "{n} 个商机";
    TrashLeftOut => "{n} deals in the trash are left out.", "回收站中的 {n} 个商机未计入。";
    UndoneMove => "by undo / redo", "撤销/重做";
    DuplicatePipeline => "Duplicate pipeline", "复制漏斗";
    RemovePipeline => "Move pipeline to trash", "将漏斗移到回收站";
    RemovePipelineConfirm => "Move “{v}” and its {n} deals to the trash? You can restore it from the trash.", "将“{v}”及其 {n} 个商机移到回收站？可从回收站恢复。";
    UnsavedStages => "Your stage changes are not saved. Leave and discard them?", "阶段修改尚未保存。离开并放弃这些修改？";
    PipelineActions => "Pipeline", "漏斗操作";
    ShowingLabel => "Show", "显示";
    ShowingOpen => "Open deals", "进行中的商机";
    ShowingWon => "Won deals", "赢单";
    ShowingLost => "Lost deals", "输单";
    DropToClose => "Drop here to mark {stage}", "拖到此处标记为{stage}";
    CloseZones => "Close a deal", "结束商机";
    ListView => "List", "列表";
    BoardView => "Board", "看板";
    DealsList => "Deals", "商机列表";
    SelectAllOnPage => "Select all on this page", "选择本页全部";
    SelectDeal => "Select “{v}”", "选择“{v}”";
    NSelected => "{n} selected", "已选 {n} 个";
    BulkEdit => "Change the selected deals", "批量修改所选商机";
    SetOwner => "Set owner", "设置负责人";
    MoveSelectedTo => "Move to stage", "移动到阶段";
    AddTagLabel => "Add tag", "添加标签";
    RemoveTagLabel => "Remove tag", "移除标签";
    DeleteSelected => "Move selected to trash", "将所选移到回收站";
    ClearSelection => "Clear selection", "取消选择";
    PageNofM => "Page {n} of {m}", "第 {n} / {m} 页";
    PrevPage => "Previous page", "上一页";
    NextPage => "Next page", "下一页";
    SortBy => "Sort by {v}", "按{v}排序";
    NoDealsMatch => "No deals match.", "没有符合条件的商机。";
    BulkDone => "{n} deals changed.", "已修改 {n} 个商机。";
    ShowingAll => "All stages", "全部阶段";
    ErrTargetValue => "A target must be a number above zero.", "目标必须是大于零的数字。";
    UndoSetTargets => "targets of {s}", "{s}的目标";
    Targets => "Targets", "目标";
    TargetsIntro => "What each rep, or the team, is to reach this month or quarter, against what is reached and what the forecast expects by the period's end (10th–90th percentile).", "每位负责人或团队在本月或本季度的目标，对比已完成和预测到期末的预期（第 10–90 百分位）。";
    TargetWho => "Who", "对象";
    TeamLabel => "Team", "团队";
    TargetMetric => "Measure", "指标";
    MetricWonAmount => "Won amount", "赢单金额";
    MetricWonDeals => "Won deals", "赢单数";
    MetricNewDeals => "New deals", "新增商机";
    TargetValue => "Target", "目标值";
    TargetReached => "Reached", "已完成";
    TargetShareH => "Attainment", "完成率";
    TargetExpected => "Expected by period end", "预计期末";
    AddTarget => "Set target", "设置目标";
    RemoveTargetNamed => "Remove target: {v}", "删除目标：{v}";
    NoTargets => "No targets yet.", "尚未设置目标。";
    ThisMonth => "This month ({v})", "本月（{v}）";
    NextMonth => "Next month ({v})", "下月（{v}）";
    ThisQuarter => "This quarter ({v})", "本季度（{v}）";
    NextQuarter => "Next quarter ({v})", "下季度（{v}）";
    PerRep => "Per rep, by month closed", "按负责人和结束月份";
    WonCount => "Won", "赢单";
    WonAmountH => "Won amount", "赢单金额";
    LostCount => "Lost", "输单";
    LostAmountH => "Lost amount", "输单金额";
    WinRateShort => "Win rate", "赢率";
    AvgCycle => "Avg. days to win", "平均赢单天数";
    ErrTargetNumber => "Enter the target as a number, like 50,000 or 12.", "请以数字输入目标，例如 50,000 或 12。";
    TargetOver => "period over", "已结束";
    RemoveTargetH => "Remove", "删除";
    ErrCriteriaNotMet => "“{stage}” needs every entry criterion ticked first. Not ticked: {missing}.", "进入“{stage}”前需勾选全部进入标准。未勾选：{missing}。";
    CriteriaRequiredLabel => "Entry criteria must all be ticked before a move here", "移入此阶段前必须勾选全部进入标准";
    CriteriaTicked => "Criteria ticked: {v}", "已勾选标准：{v}";
    ErrProbabilityOverride => "“{v}” is not a win probability: enter a whole percent from 0 to 100, or leave it empty for the stage's.", "“{v}”不是有效的赢单概率：请输入 0–100 的整数百分比，或留空以使用阶段默认值。";
    ProbabilityOverride => "Win probability % (your own; empty: the stage's)", "赢单概率 %（自定；留空则用阶段默认值）";
    ProbabilityReasonLabel => "Why this probability", "设定此概率的理由";
    RepProbability => "rep: {p}%", "负责人：{p}%";
    Rotting => "rotting (over {n} d)", "停滞（超过 {n} 天）";
    RottingAfter => "Rotting after (days)", "停滞天数";
    RottingAfterHint => "90th pct.", "第 90 百分位";
    ErrNoDecimals => "{v} amounts have no decimals: enter a whole number.", "{v} 金额没有小数：请输入整数。";
    CardOptions => "Cards", "卡片";
    CompactCards => "Compact", "紧凑";
    TargetPeriod => "Month or quarter", "月份或季度";
    ErrRateNotANumber => "“{v}” is not an exchange rate: type a number such as 1.0832.", "「{v}」不是汇率：请输入数字，例如 1.0832。";
    ErrRateNotPositive => "An exchange rate must be above zero (got “{v}”).", "汇率必须大于零（输入的是「{v}」）。";
    ErrRateTooPrecise => "“{v}” has more than 10 decimal places.", "「{v}」的小数位超过 10 位。";
    ErrRateTooLarge => "“{v}” is too large for an exchange rate (at most 100,000,000).", "「{v}」作为汇率太大（最多 100,000,000）。";
    ErrRateForReporting => "{v} is the reporting currency: it is always 1 and takes no rate.", "{v} 是报告币种：恒为 1，无需汇率。";
    ErrRatesQuotedIn => "The rates are quoted in {v}. Remove them to change the reporting currency (rates in {v} do not carry over).", "现有汇率以 {v} 报价。要更换报告币种，需先删除这些汇率（以 {v} 报价的汇率不能沿用）。";
    ErrNoReportingCurrency => "Choose a reporting currency first: rates are quoted in it.", "请先选择报告币种：汇率以它报价。";
    ErrRateLine => "Line {n}: {detail}", "第 {n} 行：{detail}";
    RatesTitle => "Currencies and exchange rates", "币种与汇率";
    RatesIntro => "With a reporting currency, board totals, analytics and the forecast add every amount in it. Won and lost deals convert at the rate in effect on the day they closed, open deals at the rate in effect today. Nothing is fetched: enter rates here or import a CSV file with the columns currency, date, rate.", "设置报告币种后，看板合计、分析和预测都把金额换算成该币种相加。赢单和输单按成交当日有效的汇率换算，未结商机按今日有效的汇率换算。不联网获取汇率：请在此录入，或导入含“币种,日期,汇率”列的 CSV 文件。";
    ReportingCurrency => "Reporting currency", "报告币种";
    NoReportingCurrency => "None: each currency separately", "不换算：各币种分别统计";
    RateFrom => "In effect from", "生效日期";
    RateOneIn => "1 {c} in {r}", "1 {c} 折合 {r}";
    AddRate => "Add rate", "添加汇率";
    RatesCsvLabel => "Rates as CSV: currency,date,rate (one per line)", "CSV 格式的汇率：币种,日期,汇率（每行一条）";
    RatesFile => "Rates CSV file", "汇率 CSV 文件";
    ImportRates => "Add these rates", "添加这些汇率";
    RatesAdded => "{n} rates added.", "已添加 {n} 条汇率。";
    RemoveRateNamed => "Remove the {c} rate of {d}", "删除 {d} 的 {c} 汇率";
    NoRatesYet => "No rates yet: amounts in other currencies stay separate until their currency has one.", "尚无汇率：其他币种的金额在有汇率之前单独列出。";
    ChangeReportingConfirm => "The {n} rates are quoted in {old}. Remove them and report in {new}?", "现有 {n} 条汇率以 {old} 报价。删除它们并改用 {new} 作为报告币种吗？";
    RateTable => "Exchange rates into {r}", "折算为 {r} 的汇率";
    ConvertedNote => "Money in {cur}: {n} deals converted at {k} dated rates ({list}).", "金额以 {cur} 计：{n} 个商机按 {k} 个日期的汇率换算（{list}）。";
    RateSpanOne => "{c} of {from}", "{c}：{from} 的汇率";
    RateSpan => "{c} from {from} to {to}", "{c}：{from} 至 {to} 的汇率";
    LeftOutNoRate => "{n} deals left out: no rate in effect on their day ({list}).", "{n} 个商机未计入：当日没有有效汇率（{list}）。";
    OtherCurrenciesLeftOut => "Money figures are in {cur}; {n} deals in other currencies are left out. Set a reporting currency and exchange rates on Import & export to include them.", "金额以 {cur} 计；其他币种的 {n} 个商机未计入。在“导入与导出”页设置报告币种和汇率即可计入。";
    BoardRatesNote => "Totals in {cur}: open deals at today's rates ({list}), won and lost deals at the rates of the days they closed.", "合计以 {cur} 计：未结商机按今日汇率（{list}），赢单和输单按成交当日汇率。";
    BoardNoRate => "No rate in effect today for {list}: shown in their own currency.", "{list} 今日没有有效汇率：按原币种显示。";
    RatesUsed => "Rates used", "所用汇率";
    RemoveRate => "Remove", "删除";
    FilterAtRisk => "At risk", "有风险";
    FilterAtRiskTip => "Open deals that are stuck in their stage, past their expected close date, or late on their next step", "在阶段中停滞、已过预计成交日期或下一步已逾期的未结商机";
    SyncTitle => "Team sync", "团队同步";
    SyncIntro => "Share this workspace with your team through a CouchDB database you host (Apache CouchDB, a CouchDB cluster, or any server that speaks its replication protocol). This browser keeps working on its own copy; changes go both ways while the tab is open, and wait while offline. The server stores every record; only its address, the database, the user and (if you choose) the password are kept here.", "通过您自己托管的 CouchDB 数据库（Apache CouchDB、CouchDB 集群，或任何支持其复制协议的服务器）与团队共享此工作区。浏览器继续使用自己的副本；标签页打开时双向同步，离线时等待。服务器保存所有记录；本浏览器只保存其地址、数据库、用户以及（如您选择）密码。";
    SyncUrl => "Server address", "服务器地址";
    SyncDb => "Database", "数据库";
    SyncUser => "User (empty: none)", "用户（留空：不需要）";
    SyncPassword => "Password", "密码";
    SyncRemember => "Remember the password in this browser", "在此浏览器中记住密码";
    SyncTurnOn => "Turn sync on", "开启同步";
    SyncApply => "Apply", "应用";
    SyncTurnOff => "Turn sync off", "关闭同步";
    SyncBadUrl => "The server address must start with https:// (or http:// for a server on this computer).", "服务器地址必须以 https:// 开头（本机服务器可用 http://）。";
    SyncBadDb => "A database name starts with a lowercase letter and has only lowercase letters, digits and _$()+-/.", "数据库名称须以小写字母开头，只能包含小写字母、数字和 _$()+-/。";
    SyncOff => "Sync is off.", "同步已关闭。";
    SyncSyncing => "Syncing: {n} changes to send, {m} received", "同步中：待发送 {n} 项，已接收 {m} 项";
    SyncSynced => "Synced", "已同步";
    SyncOffline => "Offline: the server does not answer. Working here; will retry.", "离线：服务器没有响应。可继续在本地工作，稍后自动重试。";
    DialogUnavailable => "This could not be opened: the part of the app that saves changes did not download (the connection to the site failed). Nothing was changed; try again, or reload the page.", "无法打开：应用中负责保存更改的部分未能下载（与网站的连接中断）。数据未做任何更改；请重试或重新加载页面。";
    WriterMissing => "This change was not saved: the part of the app that saves changes did not download (the connection to the site failed). Nothing was changed; try again, or reload the page.", "此更改未保存：应用中负责保存更改的部分未能下载（与网站的连接中断）。数据未做任何更改；请重试或重新加载页面。";
    ReaderMissing => "Part of what is saved could not be read: the part of the app that reads it did not download (the connection to the site failed). Nothing was changed; reload the page to try again.", "部分已保存的数据无法读取：应用中负责读取这些数据的部分未能下载（与网站的连接中断）。数据未做任何更改；请重新加载页面再试。";
    SyncCodeMissing => "Sync has not started: its part of the app did not download. Working here; will retry.", "同步尚未开始：应用的同步部分未能下载。可继续在本地工作，稍后自动重试。";
    SyncNeedsPassword => "Sync is paused: enter the password on Import & export.", "同步已暂停：请在“导入与导出”页输入密码。";
    SyncWrongPassword => "Sync stopped: wrong user name or password.", "同步已停止：用户名或密码错误。";
    SyncForbidden => "Sync stopped: this user may not use the database.", "同步已停止：此用户无权使用该数据库。";
    SyncNoDatabase => "Sync stopped: the database “{db}” does not exist on the server.", "同步已停止：服务器上不存在数据库“{db}”。";
    SyncServerError => "Sync stopped: the server answered {code} ({why}). Will retry.", "同步已停止：服务器返回 {code}（{why}）。稍后重试。";
    SyncBadAnswer => "Sync stopped: {why}", "同步已停止：{why}";
    SyncPassphrase => "Team passphrase (optional: end-to-end encryption)", "团队口令（可选：端到端加密）";
    SyncNeedsPassphrase => "Sync is paused: this database is encrypted; enter the team passphrase.", "同步已暂停：该数据库已加密，请输入团队口令。";
    SyncWrongPassphrase => "Sync stopped: the team passphrase does not match this database's.", "同步已停止：团队口令与该数据库的不符。";
    SyncProgress => "Documents received from the server", "已从服务器接收的文档";
    SyncOtherTab => "Synced by another open tab", "由另一个已打开的标签页同步";
    ErrMovedElsewhere => "This deal was moved to {v} meanwhile (in another tab or window); your move was not saved. Check the board and move it again if needed.", "此商机已在其他标签页或窗口中被移动到「{v}」；您的移动未保存。请查看看板，如有需要再移动一次。";
    ErrLeadNeedsName => "Give the lead a name or a company.", "请填写线索的姓名或公司。";
    ErrInvalidEmail => "\"{v}\" is not an email address.", "「{v}」不是有效的邮箱地址。";
    ErrInvalidPhone => "\"{v}\" is not a phone number (too few digits).", "「{v}」不是有效的电话号码（位数太少）。";
    ErrUnknownLead => "That lead no longer exists.", "该线索已不存在。";
    ErrUnknownAccount => "That account no longer exists.", "该客户已不存在。";
    ErrUnknownContact => "That contact no longer exists.", "该联系人已不存在。";
    ErrNameRequired => "Enter a name.", "请填写名称。";
    ErrAccountExists => "There is already an account called \"{v}\": merge the two instead.", "已有名为「{v}」的客户，请改为合并两者。";
    ErrCannotMergeAccount => "Choose another account to merge into.", "请选择另一个客户进行合并。";
    ErrLeadClosed => "That lead is already qualified or disqualified.", "该线索已转化或已判定无效。";
    ErrReasonRequired => "Give a reason.", "请填写原因。";
    ErrUnknownOwner => "That owner no longer exists.", "该负责人已不存在。";
    ErrOwnerNameRequired => "Give the owner a name.", "请填写负责人姓名。";
    ErrDuplicateOwner => "There is already an owner called \"{v}\".", "已有名为「{v}」的负责人。";
    ErrRuleWithoutOwners => "Choose at least one owner to assign to.", "请至少选择一位负责人。";
    ErrLeadLine => "Lead {n}: {detail}", "第 {n} 条线索：{detail}";
    ErrSubjectRequired => "Say what it is about: a subject is required.", "请填写内容：主题为必填项。";
    ErrInvalidDuration => "\"{v}\" is not a duration: give whole minutes from 0 to 1440.", "「{v}」不是有效时长：请填写 0 到 1440 之间的整数分钟。";
    ErrUnknownActivity => "That activity no longer exists (removed in another tab?).", "该活动已不存在（可能已在其他标签页中删除）。";
    ErrNotATask => "Only tasks can be done or rescheduled.", "只有任务可以完成或改期。";
    Subject => "Subject", "主题";
    When => "When", "时间";
    DurationMin => "Duration (minutes)", "时长（分钟）";
    Outcome => "Outcome", "结果";
    ErrDateOutOfRange => "That date is outside 1970–2199; nothing was saved.", "日期超出 1970–2199 年的范围；未保存任何内容。";
    ErrTooManyStages => "A pipeline can have at most {max} stages (this one would have {n}).", "一个管道最多 {max} 个阶段（此管道将有 {n} 个）。";
    ErrPipelineNameRequired => "Give the pipeline a name.", "请填写漏斗名称。";
    ErrStageNameRequired => "Stage {n} needs a name.", "第 {n} 个阶段需要名称。";
    ErrDuplicateStageName => "Two stages are called “{v}”; stage names must be unique.", "有两个阶段都叫「{v}」，阶段名称不能重复。";
    ErrProbability => "Win probability of “{v}” must be a whole number from 0 to 100.", "「{v}」的赢单概率必须是 0 到 100 的整数。";
    ErrNeedsOpenStage => "Keep at least one open stage.", "至少保留一个进行中的阶段。";
    ErrNeedsOneWon => "Exactly one stage must be of type Won.", "必须有且只有一个「赢单」类型的阶段。";
    ErrNeedsOneLost => "Exactly one stage must be of type Lost.", "必须有且只有一个「输单」类型的阶段。";
    ErrTerminalLast => "Won and Lost must come after all open stages.", "赢单和输单必须排在所有进行中阶段之后。";
    ErrStageHasDeals => "“{v}” still holds {n} deal(s): move them to another stage first.", "「{v}」中还有 {n} 个商机，请先将其移到其他阶段。";
    ErrKindChangeWithDeals => "“{v}” holds deals, so its type cannot change.", "「{v}」中有商机，不能修改其类型。";
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A specific, translated message for every refusal.
pub fn error_message(lang: Lang, e: &DomainError) -> String {
    let t = |k| tr(lang, k);
    let v = |k, s: &str| fill(t(k), &[("v", s.to_string())]);
    match e {
        DomainError::TitleRequired => t(K::ErrTitleRequired).into(),
        DomainError::TooLong { max, .. } => fill(t(K::ErrTooLong), &[("max", max.to_string())]),
        DomainError::DuplicatePipelineName(n) => v(K::ErrDuplicatePipelineName, n),
        DomainError::LostReasonRequired => t(K::ErrLostReasonRequired).into(),
        DomainError::CurrencySignMismatch { typed, currency, allowed } => {
            fill(t(K::ErrCurrencySign), &[("typed", typed.clone()), ("currency", currency.clone()), ("allowed", allowed.clone())])
        }
        DomainError::Amount(AmountError::NotANumber) => t(K::ErrAmountNotNumber).into(),
        DomainError::Amount(AmountError::Negative) => t(K::ErrAmountNegative).into(),
        DomainError::Amount(AmountError::TooManyDecimals) => t(K::ErrAmountDecimals).into(),
        DomainError::Amount(AmountError::TooLarge) => t(K::ErrAmountTooLarge).into(),
        DomainError::UnknownCurrency(c) => v(K::ErrUnknownCurrency, c),
        DomainError::InvalidDate(d) => v(K::ErrInvalidDate, d),
        DomainError::UnknownDeal => t(K::ErrUnknownDeal).into(),
        DomainError::UnknownPipeline => t(K::ErrUnknownPipeline).into(),
        DomainError::UnknownStage => t(K::ErrUnknownStage).into(),
        DomainError::StageArchived => t(K::ErrStageArchived).into(),
        DomainError::AlreadyInStage => t(K::ErrAlreadyInStage).into(),
        DomainError::PipelineNameRequired => t(K::ErrPipelineNameRequired).into(),
        DomainError::StageNameRequired { position } => fill(t(K::ErrStageNameRequired), &[("n", position.to_string())]),
        DomainError::DuplicateStageName(n) => v(K::ErrDuplicateStageName, n),
        DomainError::ProbabilityOutOfRange { stage } => v(K::ErrProbability, stage),
        DomainError::NeedsOpenStage => t(K::ErrNeedsOpenStage).into(),
        DomainError::NeedsOneWonStage => t(K::ErrNeedsOneWon).into(),
        DomainError::NeedsOneLostStage => t(K::ErrNeedsOneLost).into(),
        DomainError::TerminalStagesLast => t(K::ErrTerminalLast).into(),
        DomainError::StageHasDeals { stage, deals } => {
            fill(t(K::ErrStageHasDeals), &[("v", stage.clone()), ("n", deals.to_string())])
        }
        DomainError::StageKindChangedWithDeals { stage } => v(K::ErrKindChangeWithDeals, stage),
        DomainError::MovedElsewhere { stage } => v(K::ErrMovedElsewhere, stage),
        DomainError::NothingToUndo => t(K::ErrNothingToUndo).into(),
        DomainError::TargetValue => t(K::ErrTargetValue).into(),
        DomainError::NoDecimalsIn(c) => v(K::ErrNoDecimals, c),
        DomainError::ProbabilityOverride(v) => fill(t(K::ErrProbabilityOverride), &[("v", v.clone())]),
        DomainError::CriteriaNotMet { stage, missing } => fill(t(K::ErrCriteriaNotMet), &[("stage", stage.clone()), ("missing", missing.clone())]),
        DomainError::ChangedSince(n) => v(K::ErrChangedSince, n),
        DomainError::NoDealsChosen => t(K::ErrNoDealsChosen).into(),
        DomainError::DealDeleted => t(K::ErrDealDeleted).into(),
        DomainError::DateOutOfRange => t(K::ErrDateOutOfRange).into(),
        DomainError::SubjectRequired => t(K::ErrSubjectRequired).into(),
        DomainError::InvalidDuration(d) => v(K::ErrInvalidDuration, d),
        DomainError::UnknownActivity => t(K::ErrUnknownActivity).into(),
        DomainError::NotATask => t(K::ErrNotATask).into(),
        DomainError::LeadNeedsName => t(K::ErrLeadNeedsName).into(),
        DomainError::InvalidEmail(e) => v(K::ErrInvalidEmail, e),
        DomainError::InvalidPhone(p) => v(K::ErrInvalidPhone, p),
        DomainError::UnknownLead => t(K::ErrUnknownLead).into(),
        DomainError::UnknownAccount => t(K::ErrUnknownAccount).into(),
        DomainError::UnknownContact => t(K::ErrUnknownContact).into(),
        DomainError::NameRequired => t(K::ErrNameRequired).into(),
        DomainError::AccountExists(n) => v(K::ErrAccountExists, n),
        DomainError::CannotMergeAccount => t(K::ErrCannotMergeAccount).into(),
        DomainError::LeadClosed => t(K::ErrLeadClosed).into(),
        DomainError::ReasonRequired => t(K::ErrReasonRequired).into(),
        DomainError::OwnerNameRequired => t(K::ErrOwnerNameRequired).into(),
        DomainError::UnknownOwner => t(K::ErrUnknownOwner).into(),
        DomainError::DuplicateOwner(n) => v(K::ErrDuplicateOwner, n),
        DomainError::RuleWithoutOwners => t(K::ErrRuleWithoutOwners).into(),
        DomainError::LeadLine { line, problem } => {
            fill(t(K::ErrLeadLine), &[("n", line.to_string()), ("detail", error_message(lang, problem))])
        }
        DomainError::RateNotANumber(x) => v(K::ErrRateNotANumber, x),
        DomainError::RateNotPositive(x) => v(K::ErrRateNotPositive, x),
        DomainError::RateTooPrecise(x) => v(K::ErrRateTooPrecise, x),
        DomainError::RateTooLarge(x) => v(K::ErrRateTooLarge, x),
        DomainError::RateForReporting(x) => v(K::ErrRateForReporting, x),
        DomainError::RatesQuotedIn(x) => v(K::ErrRatesQuotedIn, x),
        DomainError::NoReportingCurrency => t(K::ErrNoReportingCurrency).into(),
        DomainError::RateLine { line, problem } => {
            fill(t(K::ErrRateLine), &[("n", line.to_string()), ("detail", error_message(lang, problem))])
        }
        DomainError::TooManyStages { stages, max } => {
            fill(t(K::ErrTooManyStages), &[("n", stages.to_string()), ("max", max.to_string())])
        }
    }
}

/// One merge collision, explained.
pub fn collision(lang: Lang, c: &crate::io::merge::Collision) -> String {
    use crate::io::merge::Collision as C;
    match c {
        C::Event { id } => fill(tr(lang, K::CollisionEvent), &[("id", id.clone())]),
        C::Deal { id, kept, dropped } => {
            fill(tr(lang, K::CollisionDeal), &[("id", id.clone()), ("kept", kept.clone()), ("dropped", dropped.clone())])
        }
        C::StageKept { pipeline, stage } => {
            fill(tr(lang, K::CollisionStage), &[("pipeline", pipeline.clone()), ("stage", stage.clone())])
        }
    }
}

/// Every reason a command was refused, as one message.
pub fn rejection(lang: Lang, r: &[(crate::domain::Field, DomainError)]) -> String {
    r.iter().map(|(_, e)| error_message(lang, e)).collect::<Vec<_>>().join(" ")
}

/// Which field label goes with a field, for messages listed away from the form.
pub fn field_label(f: Field) -> K {
    match f {
        Field::Title => K::DealTitle,
        Field::Account => K::Account,
        Field::Contact => K::Contact,
        Field::Amount => K::Amount,
        Field::Currency => K::Currency,
        Field::Owner => K::Owner,
        Field::Source => K::Source,
        Field::ExpectedClose => K::ExpectedClose,
        Field::Notes => K::Notes,
        Field::Tags => K::Tags,
        Field::Stage => K::Stage,
        Field::LostReason => K::LostReason,
        Field::Probability => K::ProbabilityOverride,
        Field::ProbabilityReason => K::ProbabilityReasonLabel,
        Field::PipelineName => K::PipelineName,
        Field::Subject => K::Subject,
        Field::When => K::When,
        Field::Duration => K::DurationMin,
        Field::Outcome => K::Outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys whose text is the same in both languages on purpose (arrows, symbols).
    // ZhUnavailable is said when the Chinese texts are not there, so it says it in both.
    const SAME_IN_BOTH: &[K] = &[K::MoveForward, K::MoveOther, K::ZhUnavailable];

    #[test]
    fn the_texts_file_reads_back_as_the_table() {
        let file = zh_file();
        // Header, then one line per key, each ended by a line break.
        assert_eq!(file.lines().count(), K::ALL.len() + 1);
        assert!(file.starts_with(&format!("funnelscope-texts zh {} ", K::ALL.len())));
        let texts = parse_texts(&file).unwrap();
        for (&k, text) in K::ALL.iter().zip(&texts) {
            assert_eq!(text, zh_built_in(k), "{k:?}");
        }
        assert_eq!(texts[K::Board as usize], "看板");
    }

    /// The browser build's path (run by scripts/test with `--features zh_fetched`): English
    /// until the file is installed, a refused file changes nothing, then every text.
    #[cfg(feature = "zh_fetched")]
    #[test]
    fn the_browser_build_speaks_chinese_once_its_texts_are_installed() {
        assert!(!zh_ready());
        assert_eq!(tr(Lang::Zh, K::Board), "Board");
        assert_eq!(install_zh(&zh_file().replacen(" zh ", " fr ", 1)), Err(TextsError::NotTexts));
        assert!(!zh_ready());
        install_zh(&zh_file()).unwrap();
        assert!(zh_ready());
        for &k in K::ALL {
            assert_eq!(tr(Lang::Zh, k), zh_built_in(k), "{k:?}");
            assert_eq!(tr(Lang::En, k), en(k), "{k:?}");
        }
    }

    #[test]
    fn the_keys_fingerprint_is_fnv1a() {
        // FNV-1a 64 of "" and of "a", the published test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(KEYS_PRINT, fnv1a(b""));
    }

    #[test]
    fn a_texts_file_of_another_shape_is_refused() {
        let file = zh_file();
        let (header, body) = file.split_once('\n').unwrap();
        let n = K::ALL.len();
        assert_eq!(parse_texts(""), Err(TextsError::NotTexts));
        assert_eq!(parse_texts(&file.replacen("funnelscope-texts zh", "funnelscope-texts fr", 1)), Err(TextsError::NotTexts));
        let other = format!("funnelscope-texts zh {n} 0123456789abcdef\n{body}");
        assert!(matches!(parse_texts(&other), Err(TextsError::OtherKeys { .. })));
        // One text fewer, one more, a count in the header that is not this build's.
        let fewer = format!("{header}\n{}", body.split_once('\n').unwrap().1);
        assert_eq!(parse_texts(&fewer), Err(TextsError::Count { expected: n, found: n - 1 }));
        assert_eq!(parse_texts(&format!("{file}extra\n")), Err(TextsError::Count { expected: n, found: n + 1 }));
        let recount = file.replacen(&format!(" {n} "), &format!(" {} ", n + 1), 1);
        assert_eq!(parse_texts(&recount), Err(TextsError::Count { expected: n, found: n + 1 }));
        // Without the last line break it still reads; escapes are undone, a bad one refused.
        assert_eq!(parse_texts(file.trim_end_matches('\n')).unwrap().len(), n);
        let escaped = format!("{header}\na\\\\b\\nc\n{}", body.split_once('\n').unwrap().1);
        assert_eq!(parse_texts(&escaped).unwrap()[0], "a\\b\nc");
        let bad = format!("{header}\na\\tb\n{}", body.split_once('\n').unwrap().1);
        assert_eq!(parse_texts(&bad), Err(TextsError::Escape { line: 2 }));
    }

    #[test]
    fn every_key_is_translated_and_non_empty() {
        for &k in K::ALL {
            let (en, zh) = (tr(Lang::En, k), tr(Lang::Zh, k));
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{k:?}");
            if !SAME_IN_BOTH.contains(&k) {
                assert_ne!(en, zh, "{k:?} is not translated");
                assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{k:?} has no Chinese text: {zh}");
            }
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        let names = |s: &str| {
            let mut v: Vec<String> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|x| x.0.to_string())).collect();
            v.sort();
            v
        };
        for &k in K::ALL {
            assert_eq!(names(tr(Lang::En, k)), names(tr(Lang::Zh, k)), "{k:?}");
        }
    }

    #[test]
    fn error_messages_are_specific() {
        let e = DomainError::StageHasDeals { stage: "Demo".into(), deals: 3 };
        assert_eq!(error_message(Lang::En, &e), "“Demo” still holds 3 deal(s): move them to another stage first.");
        assert_eq!(error_message(Lang::Zh, &e), "「Demo」中还有 3 个商机，请先将其移到其他阶段。");
        let e = DomainError::InvalidDate("2025-02-30".into());
        assert!(error_message(Lang::En, &e).contains("2025-02-30"));
        assert_eq!(fill("{a}-{b}-{a}", &[("a", "x".into()), ("b", "y".into())]), "x-y-x");
    }
}

/// The kinds of record the importer names, in the user's language.
fn record_kind(lang: Lang, what: &str) -> String {
    let k = match what {
        "pipelines" => K::WhatPipelines,
        "deals" => K::WhatDeals,
        "events" => K::WhatEvents,
        "category changes" => K::WhatCalls,
        "deal" => K::WhatDeal,
        "stage" => K::WhatStage,
        "event" => K::WhatEvent,
        "category change" => K::WhatCall,
        "activities" => K::WhatActivities,
        "activity" => K::WhatActivity,
        other => return other.to_string(),
    };
    tr(lang, k).to_string()
}

/// Import problems in the user's language (the CLI uses the English `Display`).
pub fn import_error(lang: Lang, e: &crate::io::ImportError) -> String {
    use crate::io::ImportError as E;
    let t = |k| tr(lang, k);
    match e {
        E::Syntax { line, column, message } => fill(t(K::ImpSyntax), &[("line", line.to_string()), ("col", column.to_string()), ("detail", message.clone())]),
        E::NotOurs => t(K::ImpNotOurs).into(),
        E::FutureVersion(v) => fill(t(K::ImpFuture), &[("v", v.to_string()), ("max", crate::io::FORMAT_VERSION.to_string())]),
        E::Invalid { line, column, message } => fill(t(K::ImpInvalid), &[("line", line.to_string()), ("col", column.to_string()), ("detail", message.clone())]),
        E::DuplicateId { what, id } => fill(t(K::ImpDuplicate), &[("what", record_kind(lang, what)), ("id", id.clone())]),
        E::BadAmount { deal, amount } => fill(
            t(K::ImpBadAmount),
            &[("id", deal.clone()), ("amount", amount.to_string()), ("max", crate::domain::money::MAX_AMOUNT_MINOR.to_string())],
        ),
        E::UnknownReference { event, what, id } => {
            fill(t(K::ImpUnknownRef), &[("event", event.clone()), ("what", record_kind(lang, what)), ("id", id.clone())])
        }
        E::InvalidPipeline { pipeline, problem } => {
            fill(t(K::ImpInvalidPipeline), &[("name", pipeline.clone()), ("detail", error_message(lang, problem))])
        }
        E::DealOutsidePipeline { deal } => fill(t(K::ImpDealOutside), &[("id", deal.clone())]),
        E::ForeignStage { event, stage } => fill(t(K::ImpForeignStage), &[("event", event.clone()), ("id", stage.clone())]),
        E::DateOutOfRange { what, id, value } => {
            fill(t(K::ImpDateRange), &[("what", record_kind(lang, what)), ("id", id.clone()), ("v", value.clone())])
        }
        E::InvalidLead { lead, problem } => fill(t(K::ImpInvalidLead), &[("id", lead.clone()), ("detail", error_message(lang, problem))]),
        E::InvalidActivity { activity, problem } => {
            fill(t(K::ImpInvalidActivity), &[("id", activity.clone()), ("detail", error_message(lang, problem))])
        }
    }
}

pub fn envelope_error(lang: Lang, e: &crate::io::envelope::EnvelopeError) -> String {
    use crate::io::envelope::{EnvelopeError as E, PBKDF2_ITERATIONS_ACCEPTED as R};
    let t = |k| tr(lang, k);
    match e {
        E::Invalid(detail) => fill(t(K::EncInvalid), &[("detail", detail.clone())]),
        E::Damaged(part) => fill(t(K::EncDamaged), &[("part", part.to_string())]),
        E::Unsupported { cipher, kdf } => fill(t(K::EncUnsupported), &[("cipher", cipher.clone()), ("kdf", kdf.clone())]),
        E::Iterations(n) => {
            fill(t(K::EncIterations), &[("n", n.to_string()), ("min", R.start().to_string()), ("max", R.end().to_string())])
        }
    }
}

pub fn csv_error(lang: Lang, e: &crate::io::csv_import::CsvError) -> String {
    use crate::io::csv_import::CsvError as E;
    let t = |k| tr(lang, k);
    match e {
        E::NotUtf8 { byte } => fill(t(K::CsvNotUtf8), &[("byte", byte.to_string())]),
        E::Empty => t(K::CsvEmpty).into(),
        E::ColumnCount { line, expected, found } => {
            fill(t(K::CsvColumns), &[("line", line.to_string()), ("found", found.to_string()), ("expected", expected.to_string())])
        }
        E::Parse { line, message } => fill(t(K::CsvParse), &[("line", line.to_string()), ("detail", message.clone())]),
        E::Spreadsheet(x) => {
            use crate::io::xlsx::XlsxError as X;
            match x {
                X::NotAWorkbook => t(K::XlsxNotWorkbook).into(),
                X::Unsupported => t(K::XlsxUnsupported).into(),
                X::Corrupt(part) => fill(t(K::XlsxCorrupt), &[("part", part.clone())]),
                X::TooBig => t(K::XlsxTooBig).into(),
                X::Empty => t(K::CsvEmpty).into(),
            }
        }
    }
}

pub fn row_error(lang: Lang, e: &crate::io::csv_import::RowError) -> String {
    use crate::io::csv_import::RowProblem as P;
    let t = |k| tr(lang, k);
    let v = |k, s: &str| fill(t(k), &[("v", s.to_string())]);
    let problem = match &e.problem {
        P::NotADate(s) => v(K::RowNotDate, s),
        P::NotAnAmount(s) => v(K::RowNotAmount, s),
        P::UnknownCurrency(s) => v(K::RowUnknownCurrency, s),
        P::UnknownMavenStage(s) => v(K::RowUnknownMavenStage, s),
        P::NeedsTitle => t(K::RowNeedsTitle).into(),
        P::NeedsEngageDate => t(K::RowNeedsEngage).into(),
        P::NeedsCloseDate => t(K::RowNeedsClose).into(),
        P::ClosesBeforeEngaged => t(K::RowClosesBefore).into(),
        P::NoStage => t(K::RowNoStage).into(),
        P::TooManyStages { name, max } => fill(t(K::RowTooManyStages), &[("v", name.clone()), ("max", max.to_string())]),
    };
    fill(t(K::RowAt), &[("line", e.line.to_string()), ("col", e.column.clone()), ("problem", problem)])
}

#[cfg(test)]
mod import_error_tests {
    use super::*;

    #[test]
    fn importer_errors_read_the_same_as_the_cli_in_english_and_are_translated() {
        use crate::io::csv_import::{CsvError, RowError, RowProblem};
        let e = crate::io::ImportError::FutureVersion(9);
        assert_eq!(import_error(Lang::En, &e), e.to_string());
        assert!(import_error(Lang::Zh, &e).contains("导出版本 9"));
        let d = crate::io::ImportError::DuplicateId { what: "deals", id: "x".into() };
        assert_eq!(import_error(Lang::Zh, &d), "两条记录（商机）使用了相同的编号 x");
        let c = CsvError::ColumnCount { line: 3, expected: 3, found: 2 };
        assert_eq!(csv_error(Lang::En, &c), c.to_string());
        assert_eq!(csv_error(Lang::Zh, &c), "第 3 行有 2 列，表头有 3 列");
        let i = crate::io::envelope::EnvelopeError::Iterations(4_294_967_295);
        assert_eq!(envelope_error(Lang::En, &i), i.to_string());
        assert_eq!(envelope_error(Lang::Zh, &i), "该文件要求 4294967295 次 PBKDF2 迭代；本应用只接受 100000 到 2000000 次");
        let r = RowError { line: 3, column: "金额".into(), problem: RowProblem::NotAnAmount("八万".into()) };
        assert_eq!(row_error(Lang::En, &r), r.to_string());
        assert_eq!(row_error(Lang::Zh, &r), "第 3 行，列“金额”：“八万”不是金额");
    }
}
