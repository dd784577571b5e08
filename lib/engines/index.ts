export type { Batch, Dataset, Rows, RowWidths, TrainingData } from './data';
export { ENGINE_CHOICES } from './engine';
export type { Engine, EngineChoice, EngineInfo, EngineName, EngineSetup } from './engine';
export { chooseEngine, fusedUnavailable, lastEngine } from './select';
export type { EngineChoiceResult, EngineRequest } from './select';
