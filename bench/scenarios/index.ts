import type { ScenarioName } from '../lib/options.js';
import type { Scenario } from '../lib/plan.js';
import { article } from './article.js';
import { million } from './million.js';
import { mixed } from './mixed.js';
import { salePath } from './sale-path.js';
import { soldOut } from './sold-out.js';

export const SCENARIO_BY_NAME: Record<ScenarioName, Scenario> = {
  'sale-path': salePath,
  'sold-out': soldOut,
  million,
  article,
  mixed,
};
