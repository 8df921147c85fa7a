import type { ScenarioName } from '../lib/options.js';
import type { Scenario } from '../lib/plan.js';
import { article } from './article.js';
import { million } from './million.js';
import { mixed } from './mixed.js';
import { salePath, salePath1000, salePath400 } from './sale-path.js';
import { soldOut } from './sold-out.js';

export const SCENARIO_BY_NAME: Record<ScenarioName, Scenario> = {
  'sale-path': salePath,
  'sale-path-400': salePath400,
  'sale-path-1000': salePath1000,
  'sold-out': soldOut,
  million,
  article,
  mixed,
};
