import { answersJsonSchema } from '@xen-gentoo/steps/answers';
import { BaseCommand } from '../../lib/base-command.js';

export default class AnswersSchema extends BaseCommand<typeof AnswersSchema> {
  static override summary =
    'Print the JSON Schema of the answers file, generated from the schema the parser uses.';
  static override examples = ['<%= config.bin %> answers schema > answers.schema.json'];

  async run(): Promise<void> {
    this.writeJson(answersJsonSchema());
  }
}
